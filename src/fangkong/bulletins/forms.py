from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fangkong.bulletins import rules
from fangkong.bulletins.catalog import KINDS, VACCINATION

LEVEL_CHOICES = [
    ("children", _("the units directly under it")),
    ("county", _("all county-level units under it")),
    ("township", _("all townships under it")),
    ("grassroots", _("all communities and villages under it")),
]


class BulletinForm(forms.Form):
    """Which bulletin: kind, cut-off, unit, which units it ranks, extra columns."""

    kind = forms.ChoiceField(label=_("Bulletin"), choices=[])
    as_of = forms.DateTimeField(
        label=_("Cut-off"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    unit = forms.ChoiceField(label=_("Unit"), choices=[])
    level = forms.ChoiceField(label=_("Ranks"), choices=LEVEL_CHOICES, initial="children")
    columns = forms.MultipleChoiceField(
        label=_("Extra columns"), required=False, widget=forms.CheckboxSelectMultiple, choices=[]
    )

    def __init__(self, *args: Any, units: list, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [(key, kind.name) for key, kind in KINDS.items()]
        self.fields["unit"].choices = [
            (unit.code, f"{'　' * unit.depth}{unit.name}") for unit in units
        ]
        kind = KINDS.get(self.data.get("kind") or "", VACCINATION)
        on_the_day = {"day": str(_("the day's"))}
        self.fields["columns"].choices = [
            (
                column.key,
                str(column.label) % on_the_day if "%(" in str(column.label) else column.label,
            )
            for column in kind.optional_columns
        ]
        if not self.is_bound:
            now = timezone.localtime()
            self.initial.setdefault("as_of", rules.latest_cutoff(now, kind.cutoff_time))
            if units:
                self.initial.setdefault("unit", units[0].code)
            self.initial.setdefault("kind", kind.key)

    def clean_as_of(self):
        as_of = self.cleaned_data["as_of"]
        return timezone.localtime(as_of) if timezone.is_aware(as_of) else timezone.make_aware(as_of)


class IssueForm(BulletinForm):
    """The same choice, with the key that makes a repeated click issue once."""

    client_uuid = forms.UUIDField(widget=forms.HiddenInput, initial=uuid.uuid4)
