"""Root URLs: pages of each app, accounts, admin, API schema and docs (served from static, no CDN)."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("criteria/", include("criteria.urls")),
    path("", include("assessments.urls")),
    path("surveys/", include("surveys.urls")),
    path("ket-qua/", include("reports.urls")),
    path("thong-bao/", include("units.urls")),
    path("don-vi/", include("units.reorganisation.urls")),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/criteria/", include("criteria.api.urls")),
    path("api/assessments/", include("assessments.api.urls")),
]

admin.site.site_header = "Quản trị — Chỉ số CCHC"
admin.site.site_title = "parindex"
