from typing import cast

from django import forms
from django.urls import reverse, reverse_lazy
from django.utils.translation import gettext_lazy as _

from kam.core.forms import DateInput, EditFormMixin, SearchSelect, distinct_values
from kam.core.models import Role, User
from kam.insights.models import ABC_CHOICES, XYZ_CHOICES, Risk, segment_choices

from . import services
from .models import (
    Client,
    ClientStatus,
    ClientType,
    Competitor,
    CompetitorPresence,
    Contact,
    TeamMembership,
    Tender,
)


class ClientForm(EditFormMixin, forms.ModelForm):
    change_reason = forms.CharField(
        label=_("Reason for the change"),
        max_length=300,
        required=False,
        help_text=_("Optional; shown in the history of changes."),
    )

    class Meta:
        model = Client
        # is_key is not among them: key or not is a recorded decision (decide_key).
        fields = list(services.CLIENT_FIELDS)
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "history": forms.Textarea(attrs={"rows": 3}),
            "org_structure": forms.Textarea(attrs={"rows": 3}),
            "payment_on_time_pct": forms.NumberInput(attrs={"min": 0, "max": 100, "step": "0.01"}),
            "parent": SearchSelect(reverse_lazy("clients:search")),
        }

    TEXT_FIELDS = ("description", "history", "org_structure")
    # The group's other companies are not the editor's to know (docs/decisions.md).
    UNSEEN_LABELS = {"parent": _("a company outside your clients")}

    def __init__(self, *args, by: User, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["owner"]).queryset = User.objects.filter(
            is_active=True, role__in=[Role.KAM, Role.DIRECTOR]
        )
        cast(forms.ModelChoiceField, self.fields["assistant"]).queryset = User.objects.filter(
            is_active=True, role=Role.ASSISTANT
        )
        parents = Client.objects.visible_to(by)
        if self.instance.pk:
            parents = parents.exclude(pk=self.instance.pk)
            self.fields[
                "parent"
            ].widget.search_url = f"{reverse('clients:search')}?exclude={self.instance.pk}"
        cast(forms.ModelChoiceField, self.fields["parent"]).queryset = parents
        if not by.is_director:
            # Only the director reassigns; a KAM's new client is theirs.
            self.fields.pop("owner")
        self.by = by

    def clean_inn(self) -> str:
        # Here rather than through the model's constraint: the message names the client
        # holding the ИНН when the editor may know it.
        inn = self.cleaned_data["inn"]
        exclude = [self.instance.pk] if self.instance.pk else []
        taken = services.inn_holders(self.by, [inn], exclude)
        if taken:
            raise forms.ValidationError(taken[inn])
        return inn

    @property
    def fieldsets(self) -> list[tuple]:
        """The visible fields in titled groups, for includes/form_fields.html."""
        grouped = {*services.STRATEGIC_FIELDS, *self.TEXT_FIELDS, "change_reason"}
        return [
            (
                _("General data"),
                [f for f in self.visible_fields() if f.name not in grouped],
            ),
            (
                _("Strategic flags and payment discipline"),
                [self[name] for name in services.STRATEGIC_FIELDS],
            ),
            (_("Description and history"), [self[name] for name in self.TEXT_FIELDS]),
            ("", [self["change_reason"]]),
        ]


class ContactForm(EditFormMixin, forms.ModelForm):
    class Meta:
        model = Contact
        fields = list(services.CONTACT_FIELDS)
        widgets = {
            "motivation": forms.Textarea(attrs={"rows": 2}),
            "bonus_drivers": forms.Textarea(attrs={"rows": 2}),
            "notes": forms.Textarea(attrs={"rows": 2}),
            "last_contact_on": DateInput(),
            "left_on": DateInput(),
            "influence": forms.NumberInput(attrs={"min": 1, "max": 5}),
        }

    def __init__(self, *args, client: Client, **kwargs):
        super().__init__(*args, **kwargs)
        bosses = client.contacts.all()
        if self.instance.pk:
            bosses = bosses.exclude(pk=self.instance.pk)
        cast(forms.ModelChoiceField, self.fields["reports_to"]).queryset = bosses
        team_ids = [
            client.owner_id,
            client.assistant_id,
            *client.team.values_list("user", flat=True),
        ]
        # No owner or assistant gives a None, which `pk__in` would ignore anyway.
        team = User.objects.filter(pk__in=[pk for pk in team_ids if pk is not None])
        cast(forms.ModelChoiceField, self.fields["relationship_owner"]).queryset = team


class PresenceForm(EditFormMixin, forms.ModelForm):
    new_competitor = forms.CharField(
        label=_("…or a new competitor"),
        max_length=200,
        required=False,
        help_text=_("Type a name to add a competitor that is not in the list yet."),
    )

    class Meta:
        model = CompetitorPresence
        fields = ["competitor", "new_competitor", "supplies", "strength", "notes"]
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, client: Client, **kwargs):
        super().__init__(*args, **kwargs)
        self.client = client
        self.fields["competitor"].required = False

    def clean(self):
        data = super().clean()
        name = (data.get("new_competitor") or "").strip()
        if name:
            competitor = Competitor.objects.filter(name__iexact=name).first()
            data["competitor"] = competitor or Competitor(name=name)
        if not data.get("competitor"):
            self.add_error("competitor", _("Choose a competitor or type a new one."))
            return data
        taken = CompetitorPresence.objects.filter(client=self.client)
        if data["competitor"].pk and self.instance.pk:
            taken = taken.exclude(pk=self.instance.pk)
        if data["competitor"].pk and taken.filter(competitor=data["competitor"]).exists():
            self.add_error("competitor", _("This competitor is already listed for the client."))
        return data

    def _post_clean(self):
        # The competitor may still be unsaved (typed as new); the service saves it first.
        competitor = self.cleaned_data.get("competitor")
        if competitor is not None and competitor.pk is None:
            self.cleaned_data.pop("competitor")
            super()._post_clean()
            self.cleaned_data["competitor"] = competitor
        else:
            super()._post_clean()

    def validate_unique(self):
        """Uniqueness per client is checked in clean() with a clear message."""


class TenderForm(EditFormMixin, forms.ModelForm):
    class Meta:
        model = Tender
        fields = ["date", "subject", "value", "competitors", "result", "reason"]
        widgets = {
            "date": DateInput(),
            "reason": forms.Textarea(attrs={"rows": 3}),
            "competitors": forms.SelectMultiple(attrs={"size": 5}),
        }


class TeamMemberForm(EditFormMixin, forms.ModelForm):
    class Meta:
        model = TeamMembership
        fields = ["user", "function", "note"]
        error_messages = {
            "user": {
                "invalid_choice": _(
                    "This person cannot be added: they are on the team already (perhaps added "
                    "meanwhile) or no longer active."
                )
            }
        }

    def __init__(self, *args, client: Client, **kwargs):
        super().__init__(*args, **kwargs)
        people = cast(forms.ModelChoiceField, self.fields["user"])
        if self.instance.pk:
            # Editing a member: the person stays (remove and add someone else instead).
            people.queryset = User.objects.filter(pk=self.instance.user_id)
            people.disabled = True
        else:
            people.queryset = User.objects.filter(is_active=True).exclude(
                pk__in=client.team.values("user")
            )


class ClientFilterForm(forms.Form):
    FLAGS = {
        "leader": "is_industry_leader",
        "reference": "is_reference_customer",
        "expert": "is_expert",
    }
    SORTS = {
        "name": "name",
        "-name": "-name",
        "erp_code": "erp_code",
        "-erp_code": "-erp_code",
        "region": "region",
        "-region": "-region",
        "status": "status",
        "-status": "-status",
        "owner": "owner__last_name",
        "-owner": "-owner__last_name",
        "revenue": "sales_12m",
        "-revenue": "-sales_12m",
        "updated": "updated_at",
        "-updated": "-updated_at",
    }
    q = forms.CharField(label=_("Search"), required=False)
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Any status")), *ClientStatus.choices]
    )
    client_type = forms.ChoiceField(
        label=_("Type"),
        required=False,
        choices=[
            ("", _("Any type")),
            ("none", _("No type")),
            *[c for c in ClientType.choices if c[0]],
        ],
    )
    key = forms.ChoiceField(
        label=_("Key"),
        required=False,
        choices=[("", _("Key and other")), ("yes", _("Key clients")), ("no", _("Not key"))],
    )
    # Strategic flags (R1, R5): yes / no / either, like the key flag.
    leader = forms.ChoiceField(
        label=_("Industry leader"),
        required=False,
        choices=[
            ("", _("Leaders and other")),
            ("yes", _("Industry leaders")),
            ("no", _("Not industry leaders")),
        ],
    )
    reference = forms.ChoiceField(
        label=_("Reference customer"),
        required=False,
        choices=[
            ("", _("References and other")),
            ("yes", _("Reference customers")),
            ("no", _("Not reference customers")),
        ],
    )
    expert = forms.ChoiceField(
        label=_("Expert"),
        required=False,
        choices=[
            ("", _("Experts and other")),
            ("yes", _("Demanding experts")),
            ("no", _("Not experts")),
        ],
    )
    owner = forms.ModelChoiceField(
        label=_("KAM"), required=False, empty_label=_("Any KAM"), queryset=User.objects.none()
    )
    region = forms.ChoiceField(label=_("Region"), required=False)
    # Analytics (kam.insights): the latest snapshot, reached through client.analytics.
    abc = forms.ChoiceField(
        label=_("ABC"),
        required=False,
        choices=[("", _("Any ABC")), *ABC_CHOICES],
    )
    xyz = forms.ChoiceField(
        label=_("XYZ"),
        required=False,
        choices=[("", _("Any XYZ")), *XYZ_CHOICES],
    )
    rfm_segment = forms.ChoiceField(label=_("RFM segment"), required=False)
    risk = forms.ChoiceField(
        label=_("Risk"),
        required=False,
        choices=[("", _("Any risk")), *Risk.choices],
    )
    sort = forms.ChoiceField(required=False, choices=[(k, k) for k in SORTS])

    def __init__(self, *args, clients, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = User.objects.filter(
            pk__in=clients.values("owner")
        ).order_by("last_name", "first_name")
        regions = distinct_values(clients, "region")
        self.fields["region"].choices = [("", _("Any region")), *((r, r) for r in regions)]
        # Segment names come from the analytics core, in the active language.
        self.fields["rfm_segment"].choices = [("", _("Any RFM segment")), *segment_choices()]
        for name, field in self.fields.items():
            css = (
                "form-select form-select-sm"
                if isinstance(field.widget, forms.Select)
                else "form-control form-control-sm"
            )
            field.widget.attrs["class"] = css
            if name == "q":
                field.widget.attrs["placeholder"] = _("Name, legal name, ERP code or INN")

    def apply(self, clients):
        if not self.is_valid():
            return clients
        data = self.cleaned_data
        if data["q"]:
            clients = clients.matching(data["q"])
        if data["status"]:
            clients = clients.filter(status=data["status"])
        if data["client_type"]:
            clients = clients.filter(
                client_type="" if data["client_type"] == "none" else data["client_type"]
            )
        if data["key"]:
            clients = clients.filter(is_key=data["key"] == "yes")
        for name, field in self.FLAGS.items():
            if data[name]:
                clients = clients.filter(**{field: data[name] == "yes"})
        if data["owner"]:
            clients = clients.filter(owner=data["owner"])
        if data["region"]:
            clients = clients.filter(region=data["region"])
        for field in ("abc", "xyz", "rfm_segment", "risk"):
            if data[field]:
                clients = clients.filter(**{f"analytics__{field}": data[field]})
        return clients.order_by(self.SORTS.get(data["sort"] or "name", "name"), "pk")
