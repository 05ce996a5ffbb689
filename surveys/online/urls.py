"""URLs of the public answer page of the online survey (no login): ``/khao-sat/``."""

from django.urls import path

from . import views

app_name = "survey_online"
urlpatterns = [
    path("", views.code_entry, name="code"),
    path("cam-on/", views.thanks, name="thanks"),
    path("<str:code>/", views.answer, name="answer"),
]
