"""Root URLs: pages of each app, accounts, admin, API schema and docs (served from static, no CDN; the Swagger
UI's start script is its own URL, ``?script``, so that the page runs under the CSP without an inline script)."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("criteria/", include("criteria.urls")),
    path("", include("assessments.urls")),
    path("surveys/", include("surveys.urls")),
    path("khao-sat/", include("surveys.online.urls")),
    path("ket-qua/", include("reports.urls")),
    path("thong-bao/", include("units.urls")),
    path("don-vi/", include("units.reorganisation.urls")),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="api-schema"), name="api-redoc"),
    path("api/criteria/", include("criteria.api.urls")),
    path("api/assessments/", include("assessments.api.urls")),
]

handler400 = "parindex.views.bad_request"

admin.site.site_header = "Quản trị — Chỉ số CCHC"
admin.site.site_title = "parindex"
