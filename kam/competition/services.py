"""Every write to the competitive analysis goes through these functions (views, API, demo).

Each takes the acting user as ``by``, checked against the access rule and recorded in the audit
history (R39). Bad input is a ValidationError naming the row and the field before anything is
written. An assessment is saved whole against the ``version`` the editor loaded: if someone saved
it since, nothing is written and the editor is told who and when (two editors never overwrite
each other silently).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from kam.clients.models import Client, Competitor
from kam.core.access import can_edit_client, can_manage_company_data
from kam.core.locking import IfMatch, lock
from kam.core.models import User
from kam.core.services import delete_audited, save_audited

from . import grid as G
from .models import (
    BUILT_IN,
    Assessment,
    AssessmentStatus,
    Criterion,
    Holder,
    SpendHolder,
    WeightSource,
    criterion_label,
)

#: A final assessment weighs at least this many criteria (R17); a draft may hold fewer.
MIN_CRITERIA = 10
MAX_CRITERIA = 40
MAX_WEIGHT = Decimal("1000")


def _stamp(rows: Iterable[Sequence[Any]]) -> str:
    """A fingerprint of a stored list as a page showed it: sent back with the page's save, it
    tells whether someone changed the list meanwhile."""
    return hashlib.sha256(repr(sorted(map(tuple, rows))).encode()).hexdigest()[:24]


def _refuse_stale(stamp: str | None, current: str, history, what: str) -> None:
    """Nothing is written when the list changed since the page was opened: the editor is told
    who changed it last and when, and opens it again."""
    if stamp is None or stamp == current:
        return
    last = history.select_related("history_user").order_by("-history_date").first()
    who = (last.history_user if last is not None else None) or _("someone")
    when = (
        formats.date_format(timezone.localtime(last.history_date), "SHORT_DATETIME_FORMAT")
        if last is not None
        else ""
    )
    raise ValidationError(
        _(
            "%(who)s changed %(what)s at %(when)s, after you opened this page. Nothing of yours "
            "was saved: open the page again to see their changes, then make yours."
        )
        % {"who": who, "what": what, "when": when}
    )


def spend_stamp(client: Client) -> str:
    return _stamp(
        client.spend_holders.values_list(
            "pk", "category", "holder", "competitor_id", "share", "note"
        )
    )


def criteria_stamp() -> str:
    return _stamp(
        Criterion.objects.values_list("pk", "code", "name", "weight", "position", "is_active")
    )


def _check_edit(by: User, client: Client) -> None:
    if not can_edit_client(by, client):
        raise PermissionDenied(_("You may not change this client."))


# --- the company's default criteria ---------------------------------------------------------------


@transaction.atomic
def criteria_save(
    *, by: User, rows: Sequence[Mapping[str, Any]], stamp: str | None = None
) -> list[Criterion]:
    """Replace the company's default criteria (director only). Each row: ``id`` (None for a new
    one), ``key`` (a new row's built-in code, as :meth:`Criterion.objects.company` shows the
    built-ins before their first save), ``name``, ``weight``, ``is_active``; the order given is
    kept. A built-in criterion whose name is left as shown keeps its translations; renamed, it is
    the director's own. ``stamp`` (:func:`criteria_stamp` when the page was opened) refuses the
    save if another director changed the list since."""
    if not can_manage_company_data(by):
        raise PermissionDenied(_("Only the director changes the company's criteria."))
    existing = {c.pk: c for c in Criterion.objects.select_for_update()}
    _refuse_stale(stamp, criteria_stamp(), Criterion.audit.all(), _("the company's criteria"))
    errors: list[str] = []
    seen: dict[str, int] = {}
    saved: list[Criterion] = []
    for n, data in enumerate(rows, 1):
        name = " ".join(str(data.get("name") or "").split())
        pk = data.get("id")
        criterion = existing.get(pk) if pk is not None else Criterion(code=_new_code(data, saved))
        if criterion is None:
            errors.append(_("Row %(n)d: this criterion was deleted meanwhile.") % {"n": n})
            continue
        if not name:
            errors.append(_("Row %(n)d: the criterion needs a name.") % {"n": n})
            continue
        weight = _weight(data.get("weight"), n, name, errors)
        if name.casefold() in seen:
            errors.append(
                _("Row %(n)d: «%(name)s» is already row %(first)d.")
                % {"n": n, "name": name, "first": seen[name.casefold()]}
            )
        seen[name.casefold()] = n
        if name != criterion.label:
            criterion.code, criterion.name = "", name
        criterion.name = criterion.name or name
        criterion.weight = weight if weight is not None else criterion.weight
        criterion.is_active = bool(data.get("is_active", True))
        criterion.position = n
        saved.append(criterion)
    active = sum(c.is_active for c in saved)
    if not errors and active < MIN_CRITERIA:
        errors.append(
            _(
                "The company's default needs at least %(min)d criteria in use; "
                "these rows have %(n)d."
            )
            % {"min": MIN_CRITERIA, "n": active}
        )
    if errors:
        raise ValidationError(errors)
    kept = {c.pk for c in saved if c.pk}
    for criterion in existing.values():
        if criterion.pk not in kept:
            delete_audited(criterion, by=by)
    for criterion in saved:
        save_audited(criterion, by=by)
    return saved


def _new_code(data: Mapping[str, Any], saved: list[Criterion]) -> str:
    key = str(data.get("key") or "")
    return key if key in BUILT_IN and all(c.code != key for c in saved) else ""


def default_rows() -> list[G.Row]:
    """A new grid from the company's criteria in use: weights from the default, no scores."""
    return [
        G.Row(key=c.code, name=c.name, weight=c.weight, source=WeightSource.ESTIMATE, us=None)
        for c in Criterion.objects.company()
        if c.is_active
    ]


# --- assessments ----------------------------------------------------------------------------------


def _weight(value, n: int, name: str, errors: list) -> Decimal | None:
    try:
        weight = Decimal(str(value).strip().replace(",", ".").replace("\u00a0", ""))
    except (InvalidOperation, ValueError):
        weight = None
    if weight is None or not weight.is_finite() or not 0 <= weight <= MAX_WEIGHT:
        errors.append(
            _("Row %(n)d «%(name)s»: the weight must be a number from 0 to %(max)s.")
            % {"n": n, "name": name, "max": MAX_WEIGHT}
        )
        return None
    return weight.quantize(Decimal("0.01"))


def _score(value, n: int, name: str, whose: str, errors: list) -> int | None:
    if value in (None, ""):
        return None
    if isinstance(value, int) and not isinstance(value, bool) and value in G.SCORES:
        return value
    text = value.strip() if isinstance(value, str) else ""
    if text.isascii() and text.isdigit() and int(text) in G.SCORES:
        return int(text)
    errors.append(
        _("Row %(n)d «%(name)s»: the score of %(whose)s must be a whole number from 1 to 5.")
        % {"n": n, "name": name, "whose": whose}
    )
    return None


def clean_rows(
    rows: Iterable[Mapping[str, Any]], competitors: Sequence[Competitor]
) -> tuple[list[G.Row], list[str]]:
    """Typed rows and the problems found, each naming its row and field. Scores of competitors
    not compared are dropped; a row left entirely blank is skipped."""
    cleaned: list[G.Row] = []
    errors: list[str] = []
    seen: dict[str, int] = {}
    names = {c.pk: c.name for c in competitors}
    for n, data in enumerate(rows, 1):
        key = str(data.get("key") or "")
        name = " ".join(str(data.get("name") or "").split())
        if key and key not in BUILT_IN:
            key = ""
        if key and not name:
            name = criterion_label(key, "")
        if not name:
            blank = all(data.get(f) in (None, "") for f in ("weight", "us")) and not any(
                v not in (None, "") for v in (data.get("them") or {}).values()
            )
            if not blank:
                errors.append(_("Row %(n)d: the criterion needs a name.") % {"n": n})
            continue
        if len(name) > 120:
            errors.append(_("Row %(n)d: the name is longer than 120 characters.") % {"n": n})
            continue
        weight = _weight(data.get("weight"), n, name, errors)
        source = str(data.get("source") or WeightSource.ESTIMATE)
        if source not in WeightSource.values:
            errors.append(
                _("Row %(n)d «%(name)s»: unknown source of the weight «%(source)s».")
                % {"n": n, "name": name, "source": source}
            )
        us = _score(data.get("us"), n, name, _("us"), errors)
        given = {int(k): v for k, v in (data.get("them") or {}).items()}
        them = {c: _score(given.get(c), n, name, names[c], errors) for c in names}
        row = G.Row(key, name, weight or Decimal(0), source, us, them)
        if row.ident in seen:
            errors.append(
                _("Row %(n)d: «%(name)s» is already row %(first)d.")
                % {"n": n, "name": name, "first": seen[row.ident]}
            )
        seen[row.ident] = n
        cleaned.append(row)
    if len(cleaned) > MAX_CRITERIA:
        errors.append(_("A grid holds at most %(max)d criteria.") % {"max": MAX_CRITERIA})
    return cleaned, errors


def _final_problems(rows: list[G.Row], competitors: Sequence[Competitor]) -> list[str]:
    problems = []
    if len(rows) < MIN_CRITERIA:
        problems.append(
            _(
                "A final assessment needs at least %(min)d criteria as the client weighs them; "
                "this one has %(n)d. Add %(more)d more, or save it as a draft."
            )
            % {"min": MIN_CRITERIA, "n": len(rows), "more": MIN_CRITERIA - len(rows)}
        )
    if not competitors:
        problems.append(_("A final assessment compares us with at least one competitor."))
    if rows and not sum(r.weight for r in rows):
        problems.append(_("A final assessment needs at least one weight above zero."))
    analysis = G.analyse(rows, [c.pk for c in competitors])
    if missing := analysis.missing_scores():
        problems.append(
            _("A final assessment has every score given; %(n)d are missing.") % {"n": missing}
        )
    return problems


def competitors_at(client: Client, also: Iterable[int] = ()):
    """The competitors one may choose for ``client``: those present at it, and ``also`` — the
    ids already stored on what is edited, so a competitor since removed from the client stays
    in its past assessments and keeps the spend it holds."""
    present = client.competitor_presence.values("competitor_id")
    return Competitor.objects.filter(Q(pk__in=present) | Q(pk__in=list(also))).order_by("name")


def _competitors(client, assessment, competitors: Iterable[Competitor | int]) -> list[Competitor]:
    ids = [c.pk if isinstance(c, Competitor) else int(c) for c in competitors]
    kept = assessment.competitors.values_list("pk", flat=True) if assessment else ()
    allowed = set(competitors_at(client, kept).values_list("pk", flat=True))
    if stray := set(ids) - allowed:
        raise ValidationError(
            {
                "competitors": _(
                    "Only competitors present at the client are compared; "
                    "add them on its Competitors tab first (ids: %(ids)s)."
                )
                % {"ids": ", ".join(map(str, sorted(stray)))}
            }
        )
    return list(Competitor.objects.filter(pk__in=ids).order_by("name"))


@transaction.atomic
def assessment_create(
    *,
    by: User,
    client: Client,
    assessed_on: dt.date | None = None,
    competitors: Iterable[Competitor | int] | None = None,
    start_from: Assessment | None = None,
    rows: Sequence[Mapping[str, Any]] | None = None,
    note: str = "",
    final: bool = False,
) -> Assessment:
    """A new assessment of ``client``. Its grid is ``rows`` when given; else a copy of
    ``start_from`` (an earlier assessment of the client, to revise), else the company's default
    criteria. Competitors default to those present at the client."""
    _check_edit(by, client)
    if start_from is not None and start_from.client_id != client.pk:
        raise PermissionDenied(_("This assessment belongs to another client."))
    if competitors is None:
        competitors = client.competitor_presence.values_list("competitor_id", flat=True)
    chosen = _competitors(client, None, competitors)
    if rows is None:
        source = [G.Row.from_json(r) for r in start_from.grid] if start_from else default_rows()
        rows = [r.to_json() for r in source]
    assessment = Assessment(
        client=client,
        assessed_on=assessed_on or timezone.localdate(),
        note=note,
        created_by=by,
        updated_by=by,
    )
    return _write(by, assessment, chosen, rows, final)


@transaction.atomic
def assessment_save(
    *,
    by: User,
    assessment: Assessment,
    version: int | None,
    rows: Sequence[Mapping[str, Any]],
    competitors: Iterable[Competitor | int],
    assessed_on: dt.date | None = None,
    note: str | None = None,
    final: bool = False,
    if_match: IfMatch | None = None,
) -> Assessment:
    """Replace a draft's grid (and date, note, competitors); ``final`` closes it. A final
    assessment is kept as it was: revise it by starting a new one from it. The page sends the
    ``version`` it loaded, the API its ``If-Match`` ETag (412 when stale)."""
    _check_edit(by, assessment.client)
    lock(assessment)
    if if_match is not None:
        if_match.check(assessment, {})
    if assessment.is_final:
        raise ValidationError(
            _("This assessment is final and kept as it was; start a new one from it to revise it.")
        )
    if version is not None and version != assessment.version:
        when = formats.date_format(
            timezone.localtime(assessment.updated_at), "SHORT_DATETIME_FORMAT"
        )
        raise ValidationError(
            _(
                "%(who)s saved this assessment at %(when)s, after you opened it. Nothing of yours "
                "was saved: open it again to see their changes, then make yours."
            )
            % {"who": assessment.updated_by or _("someone"), "when": when}
        )
    chosen = _competitors(assessment.client, assessment, competitors)
    if assessed_on is not None:
        assessment.assessed_on = assessed_on
    if note is not None:
        assessment.note = note
    assessment.updated_by = by
    assessment.version += 1
    return _write(by, assessment, chosen, rows, final)


def _write(by, assessment: Assessment, chosen, rows, final: bool) -> Assessment:
    cleaned, errors = clean_rows(rows, chosen)
    if not errors and final:
        errors = _final_problems(cleaned, chosen)
    if errors:
        raise ValidationError(errors)
    assessment.grid = [r.to_json() for r in cleaned]
    assessment.keep_totals(G.analyse(cleaned, [c.pk for c in chosen]))
    assessment.status = AssessmentStatus.FINAL if final else AssessmentStatus.DRAFT
    if assessment.assessed_on > timezone.localdate():
        raise ValidationError({"assessed_on": _("An assessment cannot be dated in the future.")})
    save_audited(assessment, by=by)
    assessment.competitors.set(chosen)
    return assessment


@transaction.atomic
def assessment_delete(*, by: User, assessment: Assessment) -> None:
    """Drafts are deleted by whoever edits the client; a final assessment, part of the client's
    history, by the director only."""
    _check_edit(by, assessment.client)
    if assessment.is_final and not by.is_director:
        raise PermissionDenied(_("Only the director deletes a final assessment."))
    delete_audited(assessment, by=by)


# --- who holds the client's spend -----------------------------------------------------------------


@transaction.atomic
def spend_save(
    *, by: User, client: Client, rows: Sequence[Mapping[str, Any]], stamp: str | None = None
) -> list[SpendHolder]:
    """Replace the client's holders of spend by category. Each row: ``category``, ``holder``
    (models.Holder), ``competitor`` (a competitor present at the client, for that holder only),
    ``share`` (% of the category, optional), ``note``. The shares of one category add up to at
    most 100 %. ``stamp`` (:func:`spend_stamp` when the page was opened) refuses the save if
    someone changed the list since; the API's PUT replaces the list without one."""
    lock(client)
    _check_edit(by, client)
    _refuse_stale(
        stamp,
        spend_stamp(client),
        SpendHolder.audit.filter(client_id=client.pk),
        _("the client's holders of spend"),
    )
    held = client.spend_holders.exclude(competitor=None).values_list("competitor_id", flat=True)
    present = {c.pk: c for c in competitors_at(client, held)}
    errors: list[str] = []
    holders: list[SpendHolder] = []
    seen: dict[tuple, int] = {}
    totals: dict[str, Decimal] = {}
    for n, data in enumerate(rows, 1):
        category = " ".join(str(data.get("category") or "").split())
        holder = data.get("holder") or ""
        competitor = data.get("competitor")
        competitor_id = competitor.pk if isinstance(competitor, Competitor) else competitor
        if not category:
            if holder or competitor_id:
                errors.append(_("Row %(n)d: name the product category.") % {"n": n})
            continue
        where = {"n": n, "category": category}
        if holder not in Holder.values:
            errors.append(_("Row %(n)d «%(category)s»: say who holds the spend.") % where)
            continue
        if holder == Holder.COMPETITOR:
            if competitor_id is None:
                errors.append(_("Row %(n)d «%(category)s»: choose the competitor.") % where)
                continue
            if int(competitor_id) not in present:
                errors.append(
                    _("Row %(n)d «%(category)s»: that competitor is not present at the client.")
                    % where
                )
                continue
        elif competitor_id is not None:
            errors.append(
                _("Row %(n)d «%(category)s»: a competitor is named only when one holds the spend.")
                % where
            )
            continue
        share = data.get("share")
        if share not in (None, ""):
            try:
                share = Decimal(str(share).replace(",", "."))
            except InvalidOperation:
                share = Decimal(-1)
            if not share.is_finite() or not 0 <= share <= 100:
                errors.append(_("Row %(n)d «%(category)s»: the share is 0–100 %%.") % where)
                continue
            totals[category.casefold()] = totals.get(category.casefold(), 0) + share
        else:
            share = None
        ident = (category.casefold(), holder, competitor_id)
        if ident in seen:
            errors.append(
                _("Row %(n)d «%(category)s»: the same holder is already row %(first)d.")
                % (where | {"first": seen[ident]})
            )
            continue
        seen[ident] = n
        holders.append(
            SpendHolder(
                client=client,
                category=category[:120],
                holder=holder,
                competitor=present.get(int(competitor_id)) if competitor_id else None,
                share=share,
                note=str(data.get("note") or "").strip()[:300],
            )
        )
    for category, total in totals.items():
        if total > 100:
            name = next(h.category for h in holders if h.category.casefold() == category)
            errors.append(
                _("«%(category)s»: the shares add up to %(total)s %%, more than 100 %%.")
                % {"category": name, "total": formats.number_format(total)}
            )
    if errors:
        raise ValidationError(errors)
    # Matched rows are updated, not replaced, so the history shows what changed on each.
    existing = {
        (h.category.casefold(), h.holder, h.competitor_id): h for h in client.spend_holders.all()
    }
    kept = []
    for holder in holders:
        old = existing.pop((holder.category.casefold(), holder.holder, holder.competitor_id), None)
        if old is not None:
            if (old.category, old.share, old.note) != (holder.category, holder.share, holder.note):
                old.category, old.share, old.note = holder.category, holder.share, holder.note
                save_audited(old, by=by)
            kept.append(old)
            continue
        save_audited(holder, by=by)
        kept.append(holder)
    for old in existing.values():
        delete_audited(old, by=by)
    return kept
