"""Service norms per client type (R5): how often the KAM meets the client and reviews the account.

These are defaults, to be used by later alerts ("no meeting for N days", "account review due").
A deployment may override any of them with ``KAM_SERVICE_NORMS`` in settings, e.g.
``KAM_SERVICE_NORMS = {"breadwinner": {"meeting_days": 7}}``; missing keys keep the default.
"""

from typing import TypedDict

from django.conf import settings


class ServiceNorm(TypedDict):
    meeting_days: int  # meet the client at least every N days
    review_days: int  # review the account (plan, strategy, terms) every M days


DEFAULT_SERVICE_NORMS: dict[str, ServiceNorm] = {
    "breadwinner": {"meeting_days": 14, "review_days": 90},
    "prospective": {"meeting_days": 30, "review_days": 90},
    "image_maker": {"meeting_days": 30, "review_days": 180},
    "expert": {"meeting_days": 21, "review_days": 90},
}


def service_norms() -> dict[str, ServiceNorm]:
    """The norms in force: the defaults with any settings override merged per type."""
    overrides = getattr(settings, "KAM_SERVICE_NORMS", {}) or {}
    merged: dict[str, ServiceNorm] = {}
    for client_type, norm in DEFAULT_SERVICE_NORMS.items():
        merged[client_type] = {**norm, **overrides.get(client_type, {})}
    return merged


def norm_for(client_type: str) -> ServiceNorm | None:
    """The norm of one type, or None for a client without a type."""
    return service_norms().get(client_type)
