"""URLs of the results pages (namespace ``reports``), included under ``ket-qua/``."""

from django.urls import path

from .province import views as province_views

app_name = "reports"
urlpatterns = [
    path("tinh/", province_views.province_results, name="province"),
    path("tinh/them/", province_views.province_result_add, name="province_add"),
    path("tinh/nhap/", province_views.province_results_import, name="province_import"),
    path("tinh/mau.xlsx", province_views.province_results_template, name="province_template"),
    path("tinh/<int:year>/sua/", province_views.province_result_edit, name="province_edit"),
]

# Units' results: index, rankings, a unit's result, weak criteria (issue 6 items 2–4).
from .results import views  # noqa: E402

urlpatterns += [
    path("", views.results_index, name="index"),
    path("<int:round_pk>/xep-hang/", views.rankings, name="rankings"),
    path("<int:round_pk>/tieu-chi-yeu/", views.weak_criteria, name="weak_criteria"),
    path("don-vi/<int:result_pk>/", views.unit_result, name="unit_result"),
]

# Exports of the rankings, built by a Celery task with a progress page (issue 6 item 6).
from .exports import views as export_views  # noqa: E402

urlpatterns += [
    path("<int:round_pk>/xuat/", export_views.export_page, name="export"),
    path("<int:round_pk>/xuat/tao/", export_views.export_start, name="export_start"),
    path("xuat/<int:job_pk>/", export_views.export_job, name="export_job"),
    path("xuat/<int:job_pk>/tien-do/", export_views.export_job_progress, name="export_job_progress"),
    path("xuat/<int:job_pk>/tai-ve/", export_views.export_download, name="export_download"),
]

# The printable page of a group's rankings (issue 12 item 12).


urlpatterns += [
    path("<int:round_pk>/xep-hang/in/", views.rankings_print, name="rankings_print"),
]
