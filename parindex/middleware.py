"""Language choice: Vietnamese unless the user picked English in the top bar.

Officials' browsers often run in English (English-locale Windows), so the browser's Accept-Language
must not switch the portal to English; only the language cookie set by the switcher does.
"""


class IgnoreBrowserLanguageMiddleware:
    """Drop ``Accept-Language`` before Django's LocaleMiddleware reads it (place it just before)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.META.pop("HTTP_ACCEPT_LANGUAGE", None)
        return self.get_response(request)
