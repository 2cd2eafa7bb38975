from __future__ import annotations

import uuid

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fangkong.testing.models import Result


class TubeForm(forms.Form):
    barcode = forms.CharField(
        label=_("Tube barcode"),
        max_length=64,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "off", "class": "big"}),
    )
    single = forms.BooleanField(label=_("Single tube (1-in-1, for retests)"), required=False)


class PersonForm(forms.Form):
    """One field for what the sampler scans or types: a pass code or an ID
    number (told apart by their shape)."""

    who = forms.CharField(
        label=_("Scan the pass code or type the ID number"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "off", "class": "big"}),
    )
    person_id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    name = forms.CharField(
        label=_("Name (only for a visitor not in the registry)"), max_length=100, required=False
    )
    reason = forms.CharField(label=_("Reason for a second sample"), max_length=200, required=False)
    client_uuid = forms.UUIDField(widget=forms.HiddenInput, initial=uuid.uuid4)


class SearchForm(forms.Form):
    q = forms.CharField(
        label=_("Archive lookup: name or last 4 digits of the ID number"),
        max_length=40,
        required=False,
    )


class ReceiveForm(forms.Form):
    barcode = forms.CharField(
        label=_("Scan a tube to receive it"),
        max_length=64,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "off"}),
    )


class ResultForm(forms.Form):
    barcode = forms.CharField(label=_("Tube barcode"), max_length=64)
    result = forms.ChoiceField(label=_("Result"), choices=Result.choices)
    ct_value = forms.DecimalField(
        label=_("CT value"), required=False, max_digits=5, decimal_places=2, min_value=0
    )
    reported_at = forms.DateTimeField(
        label=_("Reported at"),
        initial=lambda: timezone.localtime().strftime("%Y-%m-%d %H:%M"),
    )
    lab = forms.CharField(label=_("Lab"), max_length=100)


class ImportForm(forms.Form):
    file = forms.FileField(label=_("Results file (CSV or XLSX)"))
    partial = forms.BooleanField(
        label=_("Apply the good rows even if some rows are bad"), required=False
    )
