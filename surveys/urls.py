"""URLs of the survey pages (coordinator and admins): import, template, grid per unit group, one cell."""

from django.urls import path

from . import views

app_name = "surveys"
urlpatterns = [
    path("<int:round_pk>/import/", views.results_import, name="import"),
    path("<int:round_pk>/template.xlsx", views.results_template, name="template"),
    path("<int:round_pk>/cell/<int:score_pk>/", views.cell_save, name="cell"),
    path("<int:round_pk>/<str:group_code>/", views.grid, name="grid"),
]
