"""Percentile rank and log scale beside min–max and bands; money criteria move to percentile.

Saved versions never change, so the upgrade saves the active profile again as a new active
version with its money criteria on percentile rank (min–max bunched a Pareto-shaped revenue near
0); the older versions keep what they were scored with. Bands stay bands."""

from django.conf import settings
from django.db import migrations, models
from django.db.models import Max
from django.utils import translation
from django.utils.translation import gettext

MONEY = ("revenue", "margin", "potential")


def money_to_percentile(apps, schema_editor):
    KeyProfile = apps.get_model("keyprofile", "KeyProfile")
    ProfileCriterion = apps.get_model("keyprofile", "ProfileCriterion")
    active = KeyProfile.objects.filter(is_active=True).first()
    if active is None:
        return  # the default profile, created on first use, already has the new defaults
    criteria = list(ProfileCriterion.objects.filter(profile=active).order_by("pk"))
    if not any(c.metric in MONEY and c.normalisation == "minmax" for c in criteria):
        return
    with translation.override(settings.LANGUAGE_CODE):
        note = gettext(
            "Money criteria (revenue, margin, potential) moved from min–max to percentile rank "
            "by the upgrade; the other settings are those of version %(version)s."
        ) % {"version": active.version}
    KeyProfile.objects.filter(pk=active.pk).update(is_active=False)
    profile = KeyProfile.objects.create(
        version=(KeyProfile.objects.aggregate(v=Max("version"))["v"] or 0) + 1,
        is_active=True,
        note=note,
    )
    ProfileCriterion.objects.bulk_create(
        ProfileCriterion(
            profile=profile,
            metric=c.metric,
            weight=c.weight,
            normalisation="percentile"
            if c.metric in MONEY and c.normalisation == "minmax"
            else c.normalisation,
            bands=c.bands,
            min_value=c.min_value,
        )
        for c in criteria
    )


class Migration(migrations.Migration):
    dependencies = [
        ("keyprofile", "0002_scoring_runs"),
    ]

    operations = [
        migrations.AlterField(
            model_name="profilecriterion",
            name="normalisation",
            field=models.CharField(
                choices=[
                    ("percentile", "Percentile rank"),
                    ("log", "Log scale"),
                    ("minmax", "Min–max"),
                    ("bands", "Bands"),
                ],
                default="minmax",
                max_length=16,
                verbose_name="normalisation",
            ),
        ),
        migrations.RunPython(money_to_percentile, migrations.RunPython.noop),
    ]
