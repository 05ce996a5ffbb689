"""URLs of reorganisations, included under ``don-vi/`` (namespace ``reorganisation``)."""

from django.urls import path

from . import views

app_name = "reorganisation"
urlpatterns = [
    path("sap-xep/", views.reorganise, name="perform_default"),
    path("sap-xep/<str:kind>/", views.reorganise, name="perform"),
    path("<int:pk>/lich-su-sap-xep/", views.lineage, name="lineage"),
]
