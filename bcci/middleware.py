from django.conf import settings
from django.utils import translation
from django.utils.translation.trans_real import get_supported_language_variant


class LanguageMiddleware:
    """Vietnamese unless the user chose otherwise with the language switch (cookie).

    Unlike Django's LocaleMiddleware, the browser's Accept-Language is not used:
    a public-service app in Vietnam speaks Vietnamese first, whatever the device."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        language = settings.LANGUAGE_CODE
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if chosen:
            try:
                language = get_supported_language_variant(chosen)
            except LookupError:
                pass
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        return response
