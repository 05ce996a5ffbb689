"""URLs of the units app, included under ``thong-bao/``: the user's notifications (namespace ``notifications``)."""

from django.urls import path

from . import views

app_name = "notifications"
urlpatterns = [
    path("", views.notification_list, name="list"),
    path("<int:pk>/mo/", views.notification_open, name="open"),
    path("<int:pk>/da-doc/", views.notification_read, name="read"),
    path("da-doc-tat-ca/", views.notification_read_all, name="read_all"),
]
