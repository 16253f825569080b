"""The key-client score card on the client overview: why this score, and how it moved."""

from django import template

from ..models import ClientScore, Metric
from ..services import weight_percents

register = template.Library()


@register.inclusion_tag("keyprofile/_score_card.html")
def score_card(client):
    row = (
        ClientScore.objects.of_latest_run()
        .filter(client=client)
        .select_related("run", "run__profile")
        .first()
    )
    if row is None:
        return {"row": None}
    labels = dict(Metric.choices)
    # Each criterion's most possible points = its share of the weights used, in per cent.
    weights = {c.metric: float(c.weight) for c in row.run.profile.criteria.all()}
    shares = weight_percents({m: weights.get(m, 0.0) for m in row.contributions})
    contributions = sorted(
        (
            (str(labels.get(m, m)), value, most, round(100 * value / most) if most else 0)
            for m, value in row.contributions.items()
            for most in [shares.get(m, 0.0)]
        ),
        key=lambda item: (-item[2], -item[1]),
    )
    return {
        "row": row,
        "contributions": contributions,
        "failures": [str(labels.get(m, m)) for m in row.failures],
    }
