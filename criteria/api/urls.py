from django.urls import path

from . import views

urlpatterns = [
    path("sets/", views.CriteriaSetList.as_view(), name="api-criteria-set-list"),
    path("sets/<int:pk>/", views.CriteriaSetDetail.as_view(), name="api-criteria-set-detail"),
]
