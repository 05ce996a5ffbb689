"""URLs of the results pages (namespace ``reports``), included under ``ket-qua/``."""

from django.urls import path

from . import province_views

app_name = "reports"
urlpatterns = [
    path("tinh/", province_views.province_results, name="province"),
    path("tinh/them/", province_views.province_result_add, name="province_add"),
    path("tinh/nhap/", province_views.province_results_import, name="province_import"),
    path("tinh/mau.xlsx", province_views.province_results_template, name="province_template"),
    path("tinh/<int:year>/sua/", province_views.province_result_edit, name="province_edit"),
]

# Units' results: index, rankings, a unit's result, weak criteria (issue 6 items 2–4).
from . import views  # noqa: E402

urlpatterns += [
    path("", views.results_index, name="index"),
    path("<int:round_pk>/xep-hang/", views.rankings, name="rankings"),
    path("<int:round_pk>/tieu-chi-yeu/", views.weak_criteria, name="weak_criteria"),
    path("don-vi/<int:result_pk>/", views.unit_result, name="unit_result"),
]
