from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone, translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from .forms import ApiTokenForm
from .models import ApiToken


def home(request):
    return redirect("clients:list" if request.user.is_authenticated else "login")


@require_POST
def set_language(request):
    """Switch language; a logged-in user's choice is stored so it follows them to any device."""
    language = request.POST.get("language", "")
    next_url = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}, request.is_secure()):
        next_url = "/"
    response = redirect(next_url)
    if language in dict(settings.LANGUAGES):
        translation.activate(language)
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME, language, samesite="Lax", max_age=365 * 24 * 3600
        )
        if request.user.is_authenticated:
            request.user.language = language
            request.user.save(update_fields=["language"])
    return response


@login_required
def token_list(request):
    new_key = None
    form = ApiTokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        _token, new_key = ApiToken.issue(user=request.user, name=form.cleaned_data["name"])
        messages.success(request, _("Token created. Copy it now: it is shown only once."))
        form = ApiTokenForm()
    tokens = request.user.api_tokens.all()
    return render(request, "core/tokens.html", {"form": form, "tokens": tokens, "new_key": new_key})


@login_required
@require_POST
def token_revoke(request, pk: int):
    token = get_object_or_404(request.user.api_tokens.filter(revoked_at__isnull=True), pk=pk)
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    messages.success(request, _("Token “%(name)s” revoked.") % {"name": token.name})
    return redirect("tokens")
