"""Words for the analytics core's codes and reasons in the active language.

The core (kam.analytics) speaks English codes and numbers; the workbook, the pages and the API
word them here, so no rule is decided twice.
"""

import math
from typing import Any, overload

from django.utils.formats import number_format
from django.utils.translation import get_language, gettext_lazy, ngettext
from django.utils.translation import gettext as _

from kam.analytics import schema as s
from kam.analytics.rfm import SEGMENT_LABELS

RISK_LABELS = {
    "ok": gettext_lazy("ok"),
    "at_risk": gettext_lazy("at risk"),
    "lost": gettext_lazy("lost"),
    "new": gettext_lazy("too new to judge"),
}

#: The standard reading of each ABC-XYZ cell, translatable; the English text is the analytics
#: core's :data:`kam.analytics.abc_xyz.CELL_READINGS` (a test keeps them equal).
READINGS = {
    "AX": gettext_lazy(
        "High value, stable demand: keep, automate replenishment, long-term contract"
    ),
    "AY": gettext_lazy(
        "High value, fluctuating demand: keep, plan jointly with the client, safety stock"
    ),
    "AZ": gettext_lazy(
        "High value, irregular demand: find out why, individual attention, secure the account"
    ),
    "BX": gettext_lazy(
        "Medium value, stable demand: grow the share of wallet, standard replenishment"
    ),
    "BY": gettext_lazy(
        "Medium value, fluctuating demand: develop, regular contact, forecast together"
    ),
    "BZ": gettext_lazy("Medium value, irregular demand: watch, find the causes of irregularity"),
    "CX": gettext_lazy("Low value, stable demand: serve efficiently through low-cost channels"),
    "CY": gettext_lazy("Low value, fluctuating demand: serve at minimal cost, review the terms"),
    "CZ": gettext_lazy("Low value, irregular demand: minimise effort, review whether to keep"),
    "Anew": gettext_lazy("High value, too little history: a new large client, onboard personally"),
    "Bnew": gettext_lazy("Medium value, too little history: develop, watch the next months"),
    "Cnew": gettext_lazy("Low value, too little history: watch and qualify the potential"),
}

TYPE_LABELS = {
    "breadwinner": gettext_lazy("breadwinner"),
    "image_maker": gettext_lazy("image maker"),
    "expert": gettext_lazy("expert"),
    "prospective": gettext_lazy("prospective"),
}


def russian() -> bool:
    return (get_language() or "").startswith("ru")


@overload
def segment_label(key: str) -> str: ...
@overload
def segment_label(key: None) -> None: ...
def segment_label(key: str | None) -> str | None:
    """The RFM segment's name in the active language (the core carries English and Russian)."""
    if key is None:
        return None
    labels = SEGMENT_LABELS.get(key)
    return (labels[1] if russian() else labels[0]) if labels else key


def risk_label(key: str | None) -> str | None:
    return None if key is None else str(RISK_LABELS.get(key, key))


def type_label(key: str | None) -> str:
    return str(TYPE_LABELS[key]) if key in TYPE_LABELS else ""


def xyz_label(key: str) -> str:
    return _("new") if key == "new" else key


def plain_number(value: float, places: int = 1) -> str:
    """A number for a text: no decimals when whole, else ``places``, in the active locale."""
    rounded = round(value, places)
    if rounded == round(rounded):
        return number_format(int(round(rounded)), 0)
    return number_format(rounded, places)


def reason_text(row: dict[str, Any]) -> str:
    """The risk reason in the active language, built from the numbers as the core builds it.

    Words the flags that :func:`kam.analytics.rhythm.flag` decided (in English it gives the same
    text); no rule is decided here.
    """
    silence = row.get(s.SILENCE_DAYS)
    gap = row.get(s.TYPICAL_GAP_DAYS)
    risk = row.get(s.RISK)
    prob = row.get(s.P_ALIVE)
    if silence is None or risk is None:
        return ""
    if gap is None:
        return ngettext(
            "Only one purchase day so far, %(days)s day ago; no rhythm yet",
            "Only one purchase day so far, %(days)s days ago; no rhythm yet",
            silence,
        ) % {"days": silence}
    rhythm = row.get(s.RHYTHM_FLAG)  # decided once, by the core
    if risk == "ok":
        opening = ngettext(
            "Last purchase %(days)s day ago", "Last purchase %(days)s days ago", silence
        ) % {"days": silence}
    else:
        opening = ngettext(
            "No purchase for %(days)s day", "No purchase for %(days)s days", silence
        ) % {"days": silence}
    ratio = f"{round(silence / gap, 1):.1f}" if gap else "inf"
    if russian():
        ratio = ratio.replace(".", ",")
    usual = _("usually every %(gap)s days (%(ratio)s× the usual gap)") % {
        "gap": plain_number(gap),
        "ratio": ratio,
    }
    text = f"{opening}; {usual}"
    if prob is None or (isinstance(prob, float) and math.isnan(prob)):
        return text
    percent = {"percent": int(round(prob * 100))}
    if rhythm == "lost" and risk == "at_risk":
        model = _("probability alive %(percent)d %% (too high to call it lost)") % percent
    elif rhythm == "at_risk" and risk == "ok":
        model = _("probability alive %(percent)d %% (likely still active)") % percent
    else:
        model = _("probability alive %(percent)d %%") % percent
    return f"{text}; {model}"
