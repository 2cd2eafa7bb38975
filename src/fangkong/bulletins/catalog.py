"""The bulletins the command office publishes. Each names the metrics it
counts by key (see `<app>/metrics.py`), so this app depends on no domain
app's code.

`vaccination` is the source page's table: "周口市新冠病毒疫苗接种进度通报",
18+ population, cut-off 18:00; columns 第一剂累计接种率(%), 位次, and the
day's first doses. Second-dose and booster rates are optional columns.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

from fangkong.bulletins.columns import Column, CountColumn, RankColumn, RateColumn, Window

UNIT_LABEL = _("Unit")


@dataclass(frozen=True)
class BulletinKind:
    """A bulletin: its wording, its columns (and those one may add), and the
    usual cut-off time. Texts may hold `%(unit)s` (the unit it is issued
    for), `%(units)s` (what the ranked units are called) and `%(day)s`."""

    key: str
    name: Any
    title: Any
    intro: Any
    footnote: Any
    columns: tuple[Column, ...]
    optional_columns: tuple[Column, ...] = ()
    unit_label: Any = UNIT_LABEL
    cutoff_time: datetime.time = datetime.time(18, 0)

    def column(self, key: str) -> Column:
        for column in (*self.columns, *self.optional_columns):
            if column.key == key:
                return column
        raise KeyError(key)

    def columns_with(self, extra: tuple[str, ...] | list[str] = ()) -> list[Column]:
        """The standard columns, then the chosen optional ones in catalog order."""
        chosen = set(extra)
        unknown = chosen - {column.key for column in self.optional_columns}
        if unknown:
            raise KeyError(", ".join(sorted(unknown)))
        return [*self.columns, *(c for c in self.optional_columns if c.key in chosen)]


VACCINATION = BulletinKind(
    key="vaccination",
    name=_("COVID-19 vaccination progress"),
    title=_("%(unit)s COVID-19 vaccination progress bulletin"),
    intro=_(
        "The COVID-19 vaccination progress of the population aged 18 and over in each of the "
        "%(units)s is announced as follows:"
    ),
    footnote=_(
        "Note: first-dose cumulative rate = first doses given by the unit (and the units "
        "under it) up to the cut-off ÷ its own target population aged 18 and over × 100%, "
        "rounded half-up to two decimals; doses count where they were given, so a rate may "
        "pass 100%. The day's first doses are those given in the 24 hours ending at the "
        "cut-off. Equal rates share a rank."
    ),
    columns=(
        RateColumn(
            "first_dose_rate",
            _("First-dose cumulative rate (%)"),
            numerator="vaccination.first_doses",
            denominator="vaccination.target_18+",
            precision=2,
        ),
        RankColumn("rank", _("Rank"), over="first_dose_rate"),
        CountColumn(
            "first_doses_day",
            _("First doses on %(day)s (people)"),
            metric="vaccination.first_doses",
            window=Window.DAY,
        ),
    ),
    optional_columns=(
        CountColumn(
            "first_doses",
            _("First doses, cumulative (people)"),
            metric="vaccination.first_doses",
        ),
        RateColumn(
            "second_dose_rate",
            _("Second-dose cumulative rate (%)"),
            numerator="vaccination.second_doses",
            denominator="vaccination.target_18+",
            precision=2,
        ),
        CountColumn(
            "second_doses_day",
            _("Second doses on %(day)s (people)"),
            metric="vaccination.second_doses",
            window=Window.DAY,
        ),
        RateColumn(
            "booster_rate",
            _("Booster cumulative rate (%)"),
            numerator="vaccination.booster_doses",
            denominator="vaccination.target_18+",
            precision=2,
        ),
    ),
)

KINDS: dict[str, BulletinKind] = {kind.key: kind for kind in (VACCINATION,)}


def get_kind(key: str) -> BulletinKind:
    try:
        return KINDS[key]
    except KeyError:
        raise KeyError(f"unknown bulletin {key!r}; choose one of {', '.join(KINDS)}") from None
