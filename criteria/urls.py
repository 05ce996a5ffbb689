from django.urls import path

from . import views

app_name = "criteria"
urlpatterns = [
    path("", views.set_list, name="set_list"),
    path("import/", views.set_import, name="set_import"),
    path("import/confirm/", views.set_import_confirm, name="set_import_confirm"),
    path("template.xlsx", views.template_download, name="template"),
    path("<int:pk>/", views.set_detail, name="set_detail"),
    path("<int:pk>/export.xlsx", views.set_export, name="set_export"),
    path("<int:pk>/clone/", views.set_clone, name="set_clone"),
]
