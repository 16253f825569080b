"""The login throttle, built on django-axes (docs/decisions.md, "Login throttle").

Two tiers, both counted over the failures of the last cool-off period:

* an **account from an address**: ``KAM_LOGIN_FAILURES_PER_ACCOUNT`` wrong passwords for one
  username from one address lock that pair. Someone guessing at a colleague's account locks
  only their own address out of it; the colleague still logs in from theirs.
* an **address**: ``KAM_LOGIN_FAILURES_PER_ADDRESS`` failures for any usernames from one address
  lock the address, so one password tried on many accounts is stopped too.

A lock lifts a cool-off after its last counted failure, or when a director unlocks it
(:func:`kam.core.services.unlock_login`). Attempts refused during a lock are not counted, so the
time the message names holds. API tokens never pass through here.
"""

import datetime as dt
import ipaddress
from dataclasses import dataclass

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username, get_cool_off
from axes.models import AccessAttempt
from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS
from django.db.models import Max, Q, Sum
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.utils import formats, timezone
from django.utils.translation import gettext as _


def client_ip(request) -> str | None:
    """The client's address: the connection's, or behind ``KAM_PROXY_COUNT`` reverse proxies
    the one the outermost of them appended to X-Forwarded-For. Entries further left were sent by
    the client and could be anything, so they are never used."""
    remote = request.META.get("REMOTE_ADDR") or None
    proxies = settings.KAM_PROXY_COUNT
    if proxies <= 0:
        return remote
    forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    if len(forwarded) < proxies:
        return remote
    candidate = forwarded[-proxies]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote


def _per_account() -> int:
    return settings.KAM_LOGIN_FAILURES_PER_ACCOUNT


def _per_address() -> int:
    return settings.KAM_LOGIN_FAILURES_PER_ADDRESS


class LoginThrottle(AxesDatabaseHandler):
    """Axes' database handler with a limit per tier instead of one for all."""

    def failure_counts(self, request, credentials=None) -> tuple[int, int]:
        """Failures in the cool-off: of this username from this address, and of any username
        from this address (one query)."""
        username = get_client_username(request, credentials)
        totals = AccessAttempt.objects.filter(
            ip_address=request.axes_ip_address,
            attempt_time__gte=get_cool_off_threshold(request),
        ).aggregate(
            address=Sum("failures_since_start"),
            account=Sum("failures_since_start", filter=Q(username=username)),
        )
        return totals["account"] or 0, totals["address"] or 0

    def get_failures(self, request, credentials=None) -> int:
        # Axes compares one number with one limit (AXES_FAILURE_LIMIT, the per-account one). The
        # address count is scaled so that it reaches that limit exactly when it reaches its own:
        # floor(n × account / address) ≥ account  ⇔  n ≥ address.
        account, address = self.failure_counts(request, credentials)
        return max(account, address * _per_account() // _per_address())

    def reset_user_attempts(self, request, credentials=None) -> int:
        """After a successful login, forget this account's failures from this address only:
        forgetting the address's others would let anyone with an account of their own reset the
        address's count between guesses at other accounts."""
        count, _ = AccessAttempt.objects.filter(
            username=get_client_username(request, credentials),
            ip_address=request.axes_ip_address,
        ).delete()
        return count


@dataclass
class Lock:
    """A throttled account from an address (``username`` set) or a whole address (``None``)."""

    username: str | None
    ip_address: str | None
    failures: int
    last_failure: dt.datetime
    limit: int

    @property
    def locked(self) -> bool:
        return self.failures >= self.limit

    @property
    def until(self) -> dt.datetime:
        return self.last_failure + get_cool_off()

    @property
    def until_text(self) -> str:
        return locked_until_text(self.until)


def current_failures() -> list[Lock]:
    """Every address and account-from-address with failures in the cool-off: locked ones
    first, then by the latest failure (two grouped queries)."""
    recent = AccessAttempt.objects.filter(attempt_time__gte=timezone.now() - get_cool_off())
    totals = {"failures": Sum("failures_since_start"), "last": Max("attempt_time")}
    addresses = [
        Lock(None, row["ip_address"], row["failures"], row["last"], _per_address())
        for row in recent.values("ip_address").annotate(**totals).order_by()
    ]
    accounts = [
        Lock(row["username"], row["ip_address"], row["failures"], row["last"], _per_account())
        for row in recent.values("username", "ip_address").annotate(**totals).order_by()
    ]
    # An address with one account only says nothing its account row does not, unless locked.
    shown = [a for a in addresses if a.locked or _accounts_at(accounts, a.ip_address) > 1]
    return sorted(shown + accounts, key=lambda x: (not x.locked, -x.last_failure.timestamp()))


def _accounts_at(accounts: list[Lock], ip_address: str | None) -> int:
    return sum(1 for lock in accounts if lock.ip_address == ip_address)


def locked_until_text(until: dt.datetime) -> str:
    """14:35 today; the date too when the lock lasts past midnight."""
    local = timezone.localtime(until)
    if local.date() == timezone.localdate():
        return formats.time_format(local, "TIME_FORMAT")
    return formats.date_format(local, "SHORT_DATETIME_FORMAT")


def lockout_message(request, credentials=None) -> str:
    """What happened, until when, and who can lift it sooner."""
    username = get_client_username(request, credentials) or ""
    recent = AccessAttempt.objects.filter(
        ip_address=request.axes_ip_address,
        attempt_time__gte=get_cool_off_threshold(request),
    )
    _account, address = LoginThrottle().failure_counts(request, credentials)
    if address >= _per_address():
        text = _(
            "Too many failed logins from your network address. Until %(until)s, logging in "
            "from it is paused."
        )
    else:
        recent = recent.filter(username=username)
        text = _(
            "Too many failed attempts to log in as “%(username)s” from your network address. "
            "Until %(until)s, logging in to this account from here is paused."
        )
    last = recent.aggregate(last=Max("attempt_time"))["last"] or timezone.now()
    text %= {"username": username, "until": locked_until_text(last + get_cool_off())}
    return text + " " + _("A director can lift the lock sooner on the Locked logins page.")


def lockout_response(request, original_response, credentials=None) -> HttpResponse:
    """The login page again (ours or the admin's), its error replaced by the lockout message,
    with status 429. Any other response becomes the message as plain text."""
    message = lockout_message(request, credentials)
    context = getattr(original_response, "context_data", None) or {}
    form = context.get("form")
    if form is None or not isinstance(original_response, TemplateResponse):
        return HttpResponse(message, status=429, content_type="text/plain; charset=utf-8")
    # The lock is what matters now; "wrong password" would send the user guessing again.
    form.errors.pop(NON_FIELD_ERRORS, None)
    form.add_error(None, message)
    response = TemplateResponse(request, original_response.template_name, context, status=429)
    return response.render()
