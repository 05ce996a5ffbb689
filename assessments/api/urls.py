from django.urls import path

from . import views

urlpatterns = [
    path("", views.AssessmentList.as_view(), name="api-assessment-list"),
    path("<int:pk>/", views.AssessmentDetail.as_view(), name="api-assessment-detail"),
    path("<int:pk>/scores/<int:criterion_id>/", views.ScoreSave.as_view(), name="api-score-save"),
    path("<int:pk>/submit/", views.Submit.as_view(), name="api-assessment-submit"),
    path("<int:pk>/withdraw/", views.Withdraw.as_view(), name="api-assessment-withdraw"),
]
