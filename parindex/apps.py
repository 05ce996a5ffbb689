"""App configurations the portal gives the libraries it installs."""

from axes.apps import AppConfig as _AxesAppConfig


class AxesConfig(_AxesAppConfig):
    """django-axes (the login lockout) under a Vietnamese name in the admin index; ``axes.apps.AppConfig`` has no
    ``verbose_name``, so the admin showed its label, "Axes". Label, models and migrations stay axes' own."""

    verbose_name = "Khóa đăng nhập"
