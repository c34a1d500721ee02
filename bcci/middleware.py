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


class RejectNulMiddleware:
    """A NUL character in a query parameter is never meaningful, and PostgreSQL refuses it in
    text: answer 400 naming the parameter instead of failing deep inside a query."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        for name, values in request.GET.lists():
            if "\x00" in name or any("\x00" in value for value in values):
                from django.http import JsonResponse

                message = (f"Tham số «{name.replace(chr(0), '')}» chứa ký tự NUL không hợp lệ. / "
                           f"The parameter «{name.replace(chr(0), '')}» contains an invalid NUL character.")
                return JsonResponse({"errors": [{"field": name.replace("\x00", ""), "message": message}]},
                                    status=400)
        return self.get_response(request)
