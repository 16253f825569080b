"""Helpers shared by every app's service functions (the one write path of each model), and the
writes of kam.core itself."""

from axes.models import AccessAttempt
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Sum

from .access import can_unlock_logins
from .locking import check, lock
from .models import LoginUnlock


def assign_fields(instance, fields: dict, allowed) -> None:
    """Set ``fields`` on ``instance``; a name outside ``allowed`` is a programming error."""
    unknown = set(fields) - set(allowed)
    if unknown:
        raise TypeError(f"unknown fields: {', '.join(sorted(unknown))}")
    for name, value in fields.items():
        setattr(instance, name, value)


def save_audited(instance, *, by, reason: str = "") -> None:
    """Validate fully, then save, recording ``by`` (and why) in the audit history (R39)."""
    instance.full_clean()
    instance._history_user = by
    if reason:
        instance._change_reason = reason
    instance.save()


def delete_audited(instance, *, by) -> None:
    """Delete, recording ``by`` in the audit history (R39)."""
    instance._history_user = by
    instance.delete()


def unlock_login(*, by, username: str | None, ip_address: str | None) -> int:
    """Lift a login lock and record who did it (director only); returns the failures forgotten.

    ``username`` None unlocks the address for every account; otherwise the account from that
    address only (its lock is per address, see kam.core.throttle).
    """
    if not can_unlock_logins(by):
        raise PermissionDenied
    attempts = AccessAttempt.objects.filter(ip_address=ip_address)
    if username is not None:
        attempts = attempts.filter(username=username)
    with transaction.atomic():
        failures = attempts.aggregate(n=Sum("failures_since_start"))["n"] or 0
        if failures:
            attempts.delete()
            LoginUnlock.objects.create(
                unlocked_by=by, username=username or "", ip_address=ip_address, failures=failures
            )
    return failures


def locked_edit(instance, base, fields: dict, *, permit=None) -> tuple:
    """``instance`` read afresh under a row lock, and the ``fields`` to write on it given the
    editor's ``base`` (kam.core.locking.check: raises EditConflict / PreconditionFailed).

    ``permit(locked)`` checks the editor's right first, so a refused editor learns nothing of
    others' changes. Every service that changes an existing record starts with it, inside its
    transaction.
    """
    locked = lock(instance)
    if permit is not None:
        permit(locked)
    return locked, check(base, locked, fields)
