from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.templatetags.static import static
from django.utils import timezone, translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from .access import can_unlock_logins
from .exports import XLSX_TYPE
from .forms import ApiTokenForm, UnlockForm
from .jobs import worker_state
from .models import ApiToken, ExportJob, ExportStatus, LoginUnlock
from .services import unlock_login
from .throttle import current_failures


def favicon(request):
    # Asked for at /favicon.ico whatever the page links; the file is served by WhiteNoise.
    return redirect(static("kam/favicon.ico"), permanent=True)


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


def _unlocker(request):
    if not can_unlock_logins(request.user):
        raise PermissionDenied


@login_required
def lockouts(request):
    """The director's view of the login throttle: who is locked, from where, since when."""
    _unlocker(request)
    return render(
        request,
        "core/lockouts.html",
        {
            "locks": current_failures(),
            "unlocks": LoginUnlock.objects.select_related("unlocked_by")[:20],
            "per_account": settings.KAM_LOGIN_FAILURES_PER_ACCOUNT,
            "per_address": settings.KAM_LOGIN_FAILURES_PER_ADDRESS,
            "cooloff_minutes": int(settings.AXES_COOLOFF_TIME.total_seconds() // 60),
        },
    )


@login_required
@require_POST
def lockout_unlock(request):
    _unlocker(request)
    form = UnlockForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("This lock cannot be identified; reload the page."))
        return redirect("lockouts")
    username = form.cleaned_data["username"] or None
    address = form.cleaned_data["ip_address"] or None
    forgotten = unlock_login(by=request.user, username=username, ip_address=address)
    if not forgotten:
        messages.info(request, _("Nothing to unlock: the lock has already lifted."))
        return redirect("lockouts")
    values = {
        "username": username,
        "address": address or "?",
        "forgotten": ngettext(
            "%(n)s failed login forgotten", "%(n)s failed logins forgotten", forgotten
        )
        % {"n": forgotten},
    }
    if username is None:
        text = _("Logins from %(address)s are unlocked for every account (%(forgotten)s).")
    else:
        text = _("“%(username)s” can log in from %(address)s again (%(forgotten)s).")
    messages.success(request, text % values)
    return redirect("lockouts")


# --- exports written by a worker (kam.core.exports) --------------------------------------------


def _export_job(request, pk: int) -> ExportJob:
    return get_object_or_404(ExportJob.objects.visible_to(request.user), pk=pk)


def _export_context(job: ExportJob) -> dict:
    return {"job": job, "worker": worker_state(job.worker) if not job.is_finished else None}


@login_required
def export_list(request):
    """The user's own exports of the last KAM_EXPORT_KEEP_DAYS days, newest first."""
    jobs = ExportJob.objects.visible_to(request.user).defer("query")[:EXPORTS_SHOWN]
    return render(
        request,
        "core/exports.html",
        {"jobs": jobs, "keep_days": settings.KAM_EXPORT_KEEP_DAYS, "shown": EXPORTS_SHOWN},
    )


EXPORTS_SHOWN = 50


@login_required
def export_detail(request, pk: int):
    job = _export_job(request, pk)
    context = _export_context(job) | {"keep_days": settings.KAM_EXPORT_KEEP_DAYS}
    return render(request, "core/export.html", context)


@login_required
def export_progress(request, pk: int):
    """Polled by HTMX every second until the file is ready."""
    return render(request, "core/_export_progress.html", _export_context(_export_job(request, pk)))


@login_required
def export_download(request, pk: int):
    job = _export_job(request, pk)
    if job.status != ExportStatus.SUCCEEDED or not job.file:
        raise Http404
    try:
        handle = job.file.open("rb")
    except FileNotFoundError:  # removed from disk by hand: say so rather than fail
        raise Http404 from None
    return FileResponse(handle, as_attachment=True, filename=job.filename, content_type=XLSX_TYPE)
