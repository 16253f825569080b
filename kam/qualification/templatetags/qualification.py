"""The qualification card on the client overview, with its own data (clients/detail.html only
includes it)."""

from django import template

from kam.clients.models import ClientStatus, ClientType
from kam.core.access import can_edit_client
from kam.insights.models import SUGGESTED_TYPES

from ..forms import KeyDecisionForm, TypeForm
from ..models import KeyDecision
from ..norms import norm_for
from ..services import can_decide, missing_names, qualification_for, suggested_type

register = template.Library()


@register.inclusion_tag("qualification/_card_body.html", takes_context=True)
def qualification_card(context, client):
    user = context["request"].user
    analytics = context.get("analytics")  # the overview has read it already
    suggested = analytics.suggested_type if analytics else suggested_type(client)
    qualification = qualification_for(client)
    allowed = can_decide(user, client)
    return {
        "client": client,
        "request": context["request"],
        "csrf_token": context.get("csrf_token"),
        "is_prospect": client.status == ClientStatus.PROSPECT,
        "qualification": qualification,
        "missing": missing_names(qualification),
        "decisions": KeyDecision.objects.filter(client=client).select_related("decided_by")[:10],
        "can_edit": can_edit_client(user, client),
        "can_decide": allowed,
        # The forms carry the base of the decision (kam.core.locking): a decision taken meanwhile
        # by someone else is shown, not overwritten.
        "type_form": TypeForm(
            initial={"client_type": suggested or client.client_type}, record=client
        )
        if allowed
        else None,
        "key_form": KeyDecisionForm(record=client) if allowed else None,
        "suggested": suggested,
        "suggested_label": SUGGESTED_TYPES.get(suggested, suggested),
        "type_label": ClientType(client.client_type).label if client.client_type else "",
        "norm": norm_for(client.client_type),
    }
