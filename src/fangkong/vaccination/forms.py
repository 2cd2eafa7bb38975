from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from fangkong.vaccination import rules

COMMON_VACCINES = [
    "新冠病毒灭活疫苗(Vero细胞)/北京生物",
    "新冠病毒灭活疫苗(Vero细胞)/武汉生物",
    "新冠病毒灭活疫苗(Vero细胞)/科兴",
    "重组新冠病毒蛋白疫苗(CHO细胞)/智飞",
    "腺病毒载体新冠疫苗/康希诺",
]


class DoseForm(forms.Form):
    """One dose given at the vaccinator's clinic."""

    id_number = forms.CharField(label=_("ID number"), max_length=24)
    name = forms.CharField(label=_("Name"), max_length=100)
    dose_number = forms.TypedChoiceField(
        label=_("Dose"),
        coerce=int,
        choices=[
            (n, format_lazy(_("dose {number}"), number=n))
            for n in range(1, rules.MAX_DOSE_NUMBER + 1)
        ],
    )
    vaccine = forms.CharField(
        label=_("Vaccine product"),
        max_length=100,
        widget=forms.TextInput(attrs={"list": "vaccines"}),
    )
    batch = forms.CharField(label=_("Batch"), max_length=50, required=False)
    administered_at = forms.DateTimeField(
        label=_("Given at"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    unit = forms.ChoiceField(label=_("Administering unit"), choices=[])
    site = forms.CharField(label=_("Vaccination site"), max_length=100, required=False)
    client_uuid = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, units: list, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = [(unit.code, unit.name) for unit in units]
        if not self.is_bound:
            self.initial.setdefault(
                "administered_at", timezone.localtime().replace(second=0, microsecond=0)
            )
            self.initial.setdefault("client_uuid", uuid.uuid4())
            if units:
                self.initial.setdefault("unit", units[0].code)
