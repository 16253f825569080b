import copy
import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Model, QuerySet
from django.forms.models import ModelChoiceIterator
from django.template.loader import render_to_string
from django.utils import formats, timezone
from django.utils.functional import Promise as StrPromise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .locking import Base, EditConflict, StaleBase, base_for


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        label=_("Token name"),
        max_length=100,
        help_text=_("What the token is for, e.g. “ERP sync”."),
    )


class BootstrapMixin:
    """Give widgets Bootstrap classes and mark invalid fields for field-level errors."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                widget.attrs["class"] = "form-check-input"
            elif isinstance(widget, (forms.Select, forms.SelectMultiple)):
                widget.attrs["class"] = "form-select"
            else:
                widget.attrs["class"] = "form-control"

    def full_clean(self):
        super().full_clean()
        for name in self.errors:
            if name in self.fields:
                self.fields[name].widget.attrs["class"] += " is-invalid"


class LocalizedNumberInput(forms.TextInput):
    """A decimal shown and typed the user's way: «375 400 000,00» in Russian, "375,400,000.00"
    in English. The field parses the decimal separator (``localize``); this widget drops the
    grouping, spaces of any kind included, before it does, so whatever it renders reads back."""

    def __init__(self, attrs=None):
        super().__init__({"inputmode": "decimal", **(attrs or {})})
        self.is_localized = True

    def format_value(self, value):
        if isinstance(value, (Decimal, int, float)) and not isinstance(value, bool):
            return formats.number_format(value, use_l10n=True, force_grouping=True)
        return super().format_value(value)

    def value_from_datadict(self, data, files, name):
        value = super().value_from_datadict(data, files, name)
        if not isinstance(value, str):
            return value
        # Grouping is dropped only where it groups thousands ("1 234 567,5", "1,234,567.5"):
        # "1,2,3" stays as typed and is refused, rather than read as 123.
        decimal = formats.get_format("DECIMAL_SEPARATOR")
        marks = {" ", "\u00a0", "\u202f", formats.get_format("THOUSAND_SEPARATOR")} - {decimal}
        points = {decimal, "."} - marks
        group = "[" + "".join(map(re.escape, marks)) + "]"
        point = "[" + "".join(map(re.escape, points)) + "]"
        text = value.strip()
        match = re.fullmatch(rf"([-+]?\d{{1,3}}(?:{group}\d{{3}})+)({point}\d*)?", text)
        if match is None:
            return text
        return re.sub(group, "", match.group(1)) + (match.group(2) or "")


class LocalizedNumbersMixin:
    """Decimal fields of an edit form in the user's number format (``LocalizedNumberInput``)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if isinstance(field, forms.DecimalField) and not field.widget.is_hidden:
                field.localize = True
                keep = {
                    k: v for k, v in field.widget.attrs.items() if k not in ("min", "max", "step")
                }
                field.widget = LocalizedNumberInput(keep)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


def apply_service_errors(form, error: ValidationError) -> None:
    """Show a service's ValidationError on the form: on its field if the form has it."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


def run_service(form, call):
    """Call a service with the form's data; return its result, or None with errors on the form
    (or, for an edit conflict, the conflict panel: see :class:`EditBaseMixin`)."""
    try:
        return call()
    except EditConflict as conflict:
        form.show_conflict(conflict)
        return None
    except StaleBase:
        form.add_error(None, DAMAGED)
        return None
    except ValidationError as error:
        apply_service_errors(form, error)
        return None


class UnlockForm(forms.Form):
    """Which lock to lift: an account from an address, or (no username) the whole address."""

    username = forms.CharField(max_length=255, required=False, strip=False)
    ip_address = forms.GenericIPAddressField(required=False)


# --- an edit never loses what the editor cannot see -----------------------------------------------

KEPT = "__kept__"
"""The choice standing for a stored value the editor's choices do not offer: "keep it"."""


class _KeptChoices(ModelChoiceIterator):
    """The field's choices with "kept: …" first (after the empty choice) when it keeps a value."""

    def __iter__(self):
        choices = super().__iter__()
        if self.field.empty_label is not None:
            yield next(choices)
        if self.field.unseen:
            yield (KEPT, self.field.kept_label)
        yield from choices

    def __len__(self):
        return super().__len__() + (1 if self.field.unseen else 0)

    def __bool__(self):
        return bool(self.field.unseen) or super().__bool__()


class _KeepsStored:
    """Mixed into a form's (multiple) model-choice field by :class:`KeepUnseenChoicesMixin`.

    ``stored`` holds the ids the record stores; ``unseen`` those the choices do not offer. The
    choice :data:`KEPT` cleans to the stored value, so saving the form leaves it as it is.
    """

    iterator = _KeptChoices
    stored: list = []
    unseen: list = []
    kept_label = ""

    def stored_objects(self, ids) -> list:
        return _objects(self.queryset.model, ids)  # type: ignore[attr-defined]


def _objects(model, ids) -> list:
    """The rows of ``model`` with ``ids``, in that order, whoever may see them."""
    found = model._base_manager.in_bulk(list(ids))
    return [found[pk] for pk in ids if pk in found]


class _KeepsStoredChoice(_KeepsStored):
    def to_python(self, value):
        if value == KEPT:
            objects = self.stored_objects(self.stored)
            return objects[0] if objects else None
        return super().to_python(value)


class _KeepsStoredChoices(_KeepsStored):
    def clean(self, value):
        values = list(value or [])
        kept = self.stored_objects(self.unseen) if KEPT in values else []
        values = [v for v in values if v != KEPT]
        if kept and not values:
            return kept
        chosen = super().clean(values)
        return [*chosen, *kept] if kept else chosen


_KEEPING_CLASSES: dict[type, type] = {}


def _keeping(field_class: type) -> type:
    """``field_class`` with :class:`_KeepsStored` mixed in (one class per field class)."""
    if field_class not in _KEEPING_CLASSES:
        many = issubclass(field_class, forms.ModelMultipleChoiceField)
        mixin = _KeepsStoredChoices if many else _KeepsStoredChoice
        _KEEPING_CLASSES[field_class] = type(
            f"Keeping{field_class.__name__}", (mixin, field_class), {}
        )
    return _KEEPING_CLASSES[field_class]


def _ids(value) -> list:
    if value is None or value == "":
        return []
    if isinstance(value, (list, tuple, set, QuerySet)):
        return [pk for v in value for pk in _ids(v)]
    return [value.pk if isinstance(value, Model) else value]


class KeepUnseenChoicesMixin:
    """Every (multiple) model-choice field of the form keeps a stored value it does not offer.

    A KAM's parent-company choices are their own clients; an owner or assistant must be active;
    a relationship owner must be on the client's team. A value stored before — a parent company
    of another KAM, a deactivated user, someone who left the team — is not among the choices,
    and a plain select would silently clear it on save. Here such a field offers "kept: …"
    first, selected: saving leaves the stored value untouched, and the editor may still choose
    one of their own options or clear it on purpose. The label tells no more than the editor may
    know: a client outside their clients is "a company outside your clients", never its name or
    id (:attr:`UNSEEN_LABELS`); colleagues' names are shown.

    The fields are prepared on first use, after the form's ``__init__`` has narrowed the
    querysets.
    """

    #: What to call a stored value of these fields the editor does not see, instead of its name.
    UNSEEN_LABELS: dict[str, object] = {}

    _kept_prepared = False

    def __getitem__(self, name):
        if not self._kept_prepared:
            self._kept_prepared = True
            for field_name, field in self.fields.items():
                if isinstance(field, forms.ModelChoiceField):
                    self.keep_stored(field_name, self.initial.get(field_name))
        return super().__getitem__(name)

    def keep_stored(self, name: str, stored) -> None:
        """Make field ``name`` keep the ``stored`` value(s) (a pk, an object or a list)."""
        field = self.fields[name]  # type: ignore[attr-defined]
        if not isinstance(field, _KeepsStored):
            field.__class__ = _keeping(type(field))
        ids = _ids(stored)
        offered = (
            set(field.queryset.filter(pk__in=ids).values_list("pk", flat=True)) if ids else set()
        )
        field.stored = ids
        field.unseen = [pk for pk in ids if pk not in offered]
        field.kept_label = (
            _("kept: %(value)s") % {"value": self.unseen_description(name, field, field.unseen)}
            if field.unseen
            else ""
        )
        field.widget.choices = field.choices
        if field.unseen and not getattr(self, "is_bound", False):
            many = isinstance(field, forms.ModelMultipleChoiceField)
            self.initial[name] = [*(pk for pk in ids if pk in offered), KEPT] if many else KEPT  # type: ignore[attr-defined]

    def unseen_description(self, name: str, field, ids: list) -> str:
        """A stored value the choices do not offer, told without what the editor may not know."""
        if name in self.UNSEEN_LABELS:
            return str(self.UNSEEN_LABELS[name])
        if field.queryset.model is get_user_model():
            # Colleagues' names are no secret: say who it is.
            people = ", ".join(str(u) for u in _objects(field.queryset.model, ids))
            return _("%(names)s, no longer among the choices") % {"names": people}
        return ngettext(
            "%(count)s value you cannot choose", "%(count)s values you cannot choose", len(ids)
        ) % {"count": len(ids)}


# --- two editors never overwrite each other silently ----------------------------------------------

BASE = "edit_base"
"""The hidden field carrying the record as the editor loaded it (kam.core.locking.Base)."""
RESOLVE = "edit_resolve"
"""The conflict panel's button: save the editor's version (on the record as it is now)."""
TAKE_THEIRS = "edit_take_theirs"
"""The conflict panel's button: the named fields keep the values saved meanwhile."""


@dataclass
class ConflictPanel:
    """What the conflict panel shows: each field both changed, with both values, who and when;
    the fields only the others changed (their values now in the form)."""

    rows: list[dict]
    also: list[dict]
    take_theirs: str
    strict: bool
    theirs: dict  # the fields only the others changed: name -> value now


class EditBaseMixin:
    """The form carries the base of the edit; the services check it (kam.core.locking).

    A ModelForm locks its model fields on its instance; another form names ``locked_fields`` and
    is given the ``record`` they belong to, or a ready ``base``. ``strict`` is for decisions: any
    change since the base is a conflict. ``lock_blank`` locks a record not created yet (a
    client's one strategy): who creates it first wins, the second is told.
    """

    locked_fields: tuple[str, ...] | None = None
    strict = False
    lock_blank = False
    record: Any  # the model instance edited (or None: a form that creates)
    data: Any

    def __init__(self, *args, record=None, base: Base | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields[BASE] = forms.CharField(widget=forms.HiddenInput, required=False)  # type: ignore[attr-defined]
        self.record = record if record is not None else getattr(self, "instance", None)
        self.base: Base | None = None
        self.conflict: ConflictPanel | None = None
        if getattr(self, "is_bound", False):
            return
        if base is None and self.editing:
            base = base_for(self.record, self.locked_names(), strict=self.strict)
        if base is not None:
            self.initial[BASE] = base.token()  # type: ignore[attr-defined]

    @property
    def editing(self) -> bool:
        """Whether the form changes a record that exists (or a blank one it locks)."""
        return self.record is not None and bool(self.record.pk or self.lock_blank)

    def base_kwargs(self) -> dict:
        """``{"base": …}`` for the service when the form edits a record; {} when it creates."""
        return {"base": self.base} if self.editing else {}

    def locked_names(self) -> list[str]:
        if self.locked_fields is not None:
            return list(self.locked_fields)
        names = {f.name for f in self.record._meta.get_fields()}
        return [name for name in self.fields if name in names]  # type: ignore[attr-defined]

    def clean(self):
        data = super().clean()
        token = data.pop(BASE, "") if data is not None else ""
        if token:
            try:
                self.base = Base.parse(token)
            except StaleBase:
                raise ValidationError(DAMAGED) from None
        theirs = self.data.get(self.add_prefix(TAKE_THEIRS), "")
        for name in theirs.split(","):
            if name in self.fields and name != BASE:
                data.pop(name, None)  # not sent to the service: the value saved meanwhile stays
        return data

    # --- the conflict panel -------------------------------------------------------------------

    def show_conflict(self, conflict: EditConflict) -> None:
        """Show both values of every field changed twice; the form keeps the editor's values
        there, takes the others' values elsewhere, and is based on the record as it is now."""
        data = self.data.copy()
        data[self.add_prefix(BASE)] = conflict.base.token()  # type: ignore[attr-defined]
        data.pop(self.add_prefix(TAKE_THEIRS), None)  # type: ignore[attr-defined]
        clashing = {c.name for c in conflict.conflicts}
        for name, value in conflict.theirs.items():
            if name not in clashing and name in self.fields:  # type: ignore[attr-defined]
                self._set_data(data, name, value)
        self.data = data
        rows = []
        for c in conflict.conflicts:
            change = conflict.changed_by(c.name)
            rows.append(
                {
                    "name": c.name,
                    "label": self._label(c.name),
                    "theirs": self.display(c.name, c.theirs),
                    "yours": self.display(c.name, c.yours),
                    "who": change.who if change else None,
                    "when": change.when if change else None,
                }
            )
            if c.name in self.fields:  # type: ignore[attr-defined]
                field = self.fields[c.name]  # type: ignore[attr-defined]
                field.widget.attrs["class"] = (
                    field.widget.attrs.get("class", "") + " border-warning"
                )
                field.conflict_note = _("Saved meanwhile: %(value)s") % {
                    "value": rows[-1]["theirs"]
                }
        also = [
            {
                "label": self._label(name),
                "value": self.display(name, value),
                "change": conflict.changed_by(name),
            }
            for name, value in conflict.theirs.items()
            if name not in clashing
        ]
        self.conflict = ConflictPanel(
            rows=rows,
            also=also,
            take_theirs=",".join(sorted(clashing)),
            strict=conflict.base.strict,
            theirs={n: v for n, v in conflict.theirs.items() if n not in clashing},
        )

    #: Row titles of the conflict panel where the field's label would not say it.
    conflict_labels: dict[str, object] = {}

    def _label(self, name: str) -> str:
        if name in self.conflict_labels:
            return str(self.conflict_labels[name])
        if name in self.fields:  # type: ignore[attr-defined]
            return str(self[name].label)  # type: ignore[index]
        return name

    def _set_data(self, data, name: str, value) -> None:
        """Put the stored ``value`` (ids for relations) into the form's ``data`` as posted."""
        field = self.fields[name]  # type: ignore[attr-defined]
        key = self.add_prefix(name)  # type: ignore[attr-defined]
        if isinstance(field, forms.ModelChoiceField) and hasattr(self, "keep_stored"):
            self.keep_stored(name, value)
            offered = [str(pk) for pk in _ids(value) if pk not in field.unseen]  # type: ignore[attr-defined]
            kept = [KEPT] if field.unseen else []  # type: ignore[attr-defined]
            if isinstance(field, forms.ModelMultipleChoiceField):
                data.setlist(key, offered + kept)
            else:
                data[key] = (offered + kept + [""])[0]
        elif isinstance(field, forms.BooleanField):
            if value:
                data[key] = "on"
            else:
                data.pop(key, None)
        elif value is None:
            data[key] = ""
        elif isinstance(value, (dt.date, dt.datetime)):
            data[key] = value.isoformat()
        else:
            data[key] = str(value)

    def display(self, name: str, value) -> str:
        """``value`` as the editor may see it: a label, a name, or what it is without a name."""
        field = self.fields.get(name)  # type: ignore[attr-defined]
        if value is None or value == "" or value == []:
            return "—"
        if isinstance(field, forms.ModelChoiceField):
            ids = _ids(value)
            shown = field.queryset.filter(pk__in=ids)  # type: ignore[union-attr]
            names = [field.label_from_instance(obj) for obj in shown]
            hidden = [pk for pk in ids if pk not in {obj.pk for obj in shown}]
            if hidden:
                names.append(self.unseen_description(name, field, hidden))  # type: ignore[attr-defined]
            return ", ".join(names)
        if isinstance(value, bool):
            return str(_("yes") if value else _("no"))
        choices = getattr(field, "choices", None)
        if choices:
            labels = {str(k): v for k, v in choices if not isinstance(v, (list, tuple))}
            if str(value) in labels:
                return str(labels[str(value)])
        return str(formats.localize(value))


DAMAGED = _("This form's record of what you loaded is damaged. Reload the page and edit again.")


def form_status(form) -> int:
    """409 for an edit conflict, 400 for other errors, 200 for a fresh form."""
    if getattr(form, "conflict", None):
        return 409
    return 400 if form.is_bound and form.errors else 200


def report_saved(request, form, text) -> None:
    """Say the change is saved, and what others changed meanwhile (their values were kept)."""
    messages.success(request, text)
    base = getattr(form, "base", None)
    outcome = getattr(base, "outcome", None)
    if not outcome or not outcome.theirs:
        return
    for change in outcome.changes:
        who = (
            _("you, in another window")
            if change.who == request.user
            else (change.who or _("someone"))
        )
        messages.info(
            request,
            _("Meanwhile %(who)s changed %(fields)s (%(when)s); those changes are kept.")
            % {
                "who": who,
                "fields": ", ".join(str(label) for _name, label in change.fields),
                "when": formats.date_format(
                    timezone.localtime(change.when), "SHORT_DATETIME_FORMAT"
                )
                if change.when
                else "",
            },
        )
    if not outcome.changes:
        messages.info(
            request,
            _("Meanwhile someone changed %(fields)s; those changes are kept.")
            % {"fields": ", ".join(form._label(name) for name in outcome.theirs)},
        )


class EditFormMixin(KeepUnseenChoicesMixin, EditBaseMixin, BootstrapMixin, LocalizedNumbersMixin):
    """Every edit form: keeps what the editor cannot see, carries the base of the edit, and is
    styled for Bootstrap."""


def distinct_values(queryset: QuerySet, field: str) -> list[str]:
    """The different non-empty values of ``field`` in ``queryset``, sorted, for a filter's options.

    ``order_by()`` first: a model's default ordering would make DISTINCT apply to (value, name),
    giving one option per row instead of one per value.
    """
    values = queryset.exclude(**{field: ""}).order_by().values_list(field, flat=True).distinct()
    return sorted(values, key=str.casefold)


# --- a choice among many: typed, not scrolled -----------------------------------------------------


class SearchSelect(forms.Select):
    """A model choice among as many rows as the company has (clients, products): the select holds
    only the empty choice, "kept: …" and the current value, and a search box beside it asks
    ``search_url`` (``?q=``) for at most a screenful of matches to pick from (kam.js), so the page
    does not grow with the company. Without JavaScript the current value is still shown and kept.

    The field's queryset still decides what may be submitted; :class:`KeepUnseenChoicesMixin`
    works unchanged (its "kept" choice comes from the same iterator).
    """

    def __init__(self, search_url: str | StrPromise, attrs=None):
        super().__init__(attrs)
        self.search_url = search_url

    def optgroups(self, name, value, attrs=None):
        choices = self.choices
        if isinstance(choices, ModelChoiceIterator):
            # Only the chosen rows are read, not the whole queryset.
            ids = [v for v in value if v not in ("", KEPT)]
            narrowed = copy.copy(choices)
            chosen = choices.queryset.filter(pk__in=ids) if ids else choices.queryset.none()
            narrowed.queryset = chosen
            self.choices = narrowed
        try:
            return super().optgroups(name, value, attrs)
        finally:
            self.choices = choices

    def render(self, name, value, attrs=None, renderer=None):
        # The select is Django's own; the project's template only adds the search around it.
        select = super().render(name, value, attrs, renderer)
        return render_to_string(
            "includes/search_select.html", {"select": select, "search_url": str(self.search_url)}
        )
