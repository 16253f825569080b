from django.http import HttpResponseBadRequest, JsonResponse
from django.utils import translation
from django.utils.translation import gettext as _


class UserLanguageMiddleware:
    """Activate the language a logged-in user chose last, wherever they log in from."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.language:
            translation.activate(user.language)
            request.LANGUAGE_CODE = user.language
        return self.get_response(request)


class RejectNullCharactersMiddleware:
    """Answer 400 to NUL characters in a query string or JSON body.

    No field may hold one (PostgreSQL refuses them outright), so it is always an error of the
    sender; saying so beats a server error. Form posts are left to the forms, which report NUL
    as a field error, and file uploads legitimately contain NUL bytes.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if self.has_null(request):
            message = _("Null characters (\\u0000) are not allowed in the request.")
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": message}, status=400)
            return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")
        return self.get_response(request)

    @staticmethod
    def has_null(request) -> bool:
        if any("\x00" in value for values in request.GET.lists() for value in values[1]):
            return True
        if request.content_type == "application/json":
            body = request.body
            return b"\x00" in body or b"\\u0000" in body  # JSON spells the escape lowercase
        return False
