"""ИНН and КПП of Russian counterparties: their shape and the ИНН's control digits.

The one place that knows the rules; the model, the forms, the API and the imports all ask it.
The control digits follow the Federal Tax Service's algorithm: a weighted sum of the digits
before them, modulo 11, then modulo 10.
"""

import re

from django.utils.translation import gettext as _

# Weights of the ФНС algorithm: the company's one control digit, the sole trader's two.
WEIGHTS_10 = (2, 4, 10, 3, 5, 9, 4, 6, 8)
WEIGHTS_11 = (7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
WEIGHTS_12 = (3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8)

# 4 digits (tax office), 2 digits or capital Latin letters (reason), 3 digits (number).
KPP_PATTERN = re.compile(r"[0-9]{4}[0-9A-Z]{2}[0-9]{3}")


def control_digit(digits: str, weights: tuple[int, ...]) -> str:
    """The control digit of ``digits`` (as many as ``weights``)."""
    total = sum(int(digit) * weight for digit, weight in zip(digits, weights, strict=True))
    return str(total % 11 % 10)


def complete_inn(body: str) -> str:
    """A valid ИНН from its first 9 digits (a company) or 10 (a sole trader)."""
    if len(body) == 9:
        return body + control_digit(body, WEIGHTS_10)
    if len(body) == 10:
        body += control_digit(body, WEIGHTS_11)
        return body + control_digit(body, WEIGHTS_12)
    raise ValueError(f"an ИНН body has 9 or 10 digits, not {len(body)}")


def inn_problem(value: str) -> str | None:
    """Why ``value`` is not a valid ИНН, in the reader's language; None when it is one."""
    if not value.isascii() or not value.isdigit():
        return _("An INN has digits only.")
    if len(value) not in (10, 12):
        message = _(
            "An INN has 10 digits (a company) or 12 (a sole trader); this one has %(count)d."
        ) % {"count": len(value)}
        if len(value) in (9, 11):
            message += " " + _("If the file passed through Excel, it may have lost a leading zero.")
        return message
    if complete_inn(value[: len(value) - (1 if len(value) == 10 else 2)]) != value:
        return _("The control digits do not match: the INN has a typo.")
    return None


def kpp_problem(kpp: str, inn: str) -> str | None:
    """Why ``kpp`` does not fit (its shape, or an ИНН that has none); None when it fits."""
    if not KPP_PATTERN.fullmatch(kpp):
        return _(
            "A KPP has 9 characters: 4 digits, 2 digits or capital Latin letters, 3 digits "
            "(e.g. 774301001)."
        )
    if len(inn) != 10:
        return _("Only a company (a 10-digit INN) has a KPP.")
    return None
