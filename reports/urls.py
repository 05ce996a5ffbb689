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
