"""URLs of the survey pages (coordinator and admins): import, template, grid per unit group, one cell, a row
or page of the grid at once; raw questionnaire responses: sample-size page, population N of one unit, import,
template."""

from django.urls import path

from . import views

app_name = "surveys"
urlpatterns = [
    path("<int:round_pk>/import/", views.results_import, name="import"),
    path("<int:round_pk>/template.xlsx", views.results_template, name="template"),
    path("<int:round_pk>/cell/<int:score_pk>/", views.cell_save, name="cell"),
    # before the grid, whose group code would otherwise swallow "responses"
    path("<int:round_pk>/responses/", views.sample, name="responses"),
    path("<int:round_pk>/responses/import/", views.responses_import, name="responses_import"),
    path("<int:round_pk>/responses/template.xlsx", views.responses_template, name="responses_template"),
    path(
        "<int:round_pk>/responses/population/<int:assessment_pk>/", views.population_save, name="population"
    ),
    path("<int:round_pk>/<str:group_code>/", views.grid, name="grid"),
    path("<int:round_pk>/<str:group_code>/save/", views.grid_save, name="grid_save"),
]
