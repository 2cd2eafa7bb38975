"""What vaccination lets other apps count per unit (bulletins, dashboard).

Doses are credited to the unit that gave them. The conditions match the
partial indexes on Dose, so each count is an index-only scan.
"""

from __future__ import annotations

from functools import partial

from django.db.models import Q
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from fangkong.core.metrics import CountMetric, UnitQuantity
from fangkong.vaccination import queries, rules
from fangkong.vaccination.models import Dose


def _doses(key: str, label, number: int) -> CountMetric:
    return CountMetric(
        key=key,
        label=label,
        model=Dose,
        unit_field="unit",
        time_field="administered_at",
        condition=Q(dose_number=number),
    )


METRICS = [
    _doses("vaccination.first_doses", _("first doses given"), 1),
    _doses("vaccination.second_doses", _("second doses given"), 2),
    _doses(
        "vaccination.booster_doses", _("booster (third) doses given"), rules.BOOSTER_DOSE_NUMBER
    ),
    *(
        UnitQuantity(
            key=f"vaccination.target_{group.value}",
            label=format_lazy("{}: {}", _("target population"), group.label),
            values=partial(queries.target_populations, group=group.value),
        )
        for group in rules.AgeGroup
    ),
]
