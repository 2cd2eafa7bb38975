"""Forms of the staff pages: the checkpoint and its policy, staff binding,
the duty page's entry, the archive lookup, and the pass-code pages."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fangkong.checkpoints import passcodes, rules, services
from fangkong.checkpoints.models import CheckpointKind, Direction, HealthCode, Method, StarAction
from fangkong.checkpoints.registration import EntryInput, VisitorInput
from fangkong.people.models import Status

ADMISSIBLE_CODE_CHOICES = [
    (code, label) for code, label in HealthCode.choices if code in services.ADMISSIBLE_HEALTH_CODES
]
_THREE_DIGITS = re.compile(r"^\d{3}$")


class CheckpointForm(forms.Form):
    """Name and admission policy; `unit` only when creating."""

    unit = forms.CharField(label=_("Unit code"), max_length=32, required=False)
    name = forms.CharField(label=_("Name"), max_length=100)
    kind = forms.ChoiceField(
        label=_("Kind"), choices=[("", _("from the unit")), *CheckpointKind.choices], required=False
    )
    is_active = forms.BooleanField(label=_("Open"), required=False, initial=True)
    fever_threshold = forms.DecimalField(
        label=_("Fever threshold (°C)"),
        max_digits=3,
        decimal_places=1,
        min_value=rules.MIN_PLAUSIBLE_TEMPERATURE,
        max_value=rules.MAX_PLAUSIBLE_TEMPERATURE,
        initial=rules.DEFAULT_FEVER_THRESHOLD,
    )
    mask_required = forms.BooleanField(label=_("Mask required"), required=False, initial=True)
    admitted_health_codes = forms.MultipleChoiceField(
        label=_("Admitted health-code colours"),
        choices=ADMISSIBLE_CODE_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        initial=list(rules.DEFAULT_ADMITTED_HEALTH_CODES),
    )
    star_action = forms.ChoiceField(
        label=_("Itinerary-code star"), choices=StarAction.choices, initial=StarAction.DENY
    )
    negative_test_required = forms.BooleanField(
        label=_("Require a recent negative nucleic-acid test"), required=False
    )
    negative_test_hours = forms.IntegerField(
        label=_("Negative test valid for (hours)"),
        min_value=1,
        max_value=rules.MAX_NEGATIVE_TEST_HOURS,
        initial=rules.DEFAULT_NEGATIVE_TEST_HOURS,
    )
    denied_statuses = forms.MultipleChoiceField(
        label=_("Denied statuses"),
        choices=Status.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        initial=list(rules.DEFAULT_DENIED_STATUSES),
    )

    def policy(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {key: data[key] for key in services.POLICY_FIELDS}


class BindStaffForm(forms.Form):
    username = forms.CharField(label=_("Username of the gate staff member"), max_length=150)


class DutyEntryForm(forms.Form):
    """One check at the gate, as the duty page posts it."""

    client_uuid = forms.UUIDField(widget=forms.HiddenInput)
    observed_at = forms.DateTimeField(widget=forms.HiddenInput, required=False)
    identifier = forms.CharField(max_length=200, required=False)
    person_id = forms.IntegerField(widget=forms.HiddenInput, required=False)
    visitor_name = forms.CharField(label=_("Name"), max_length=100, required=False)
    visitor_phone = forms.CharField(label=_("Phone"), max_length=20, required=False)
    visitor_id_number = forms.CharField(label=_("ID number"), max_length=30, required=False)
    visitor_reason = forms.CharField(
        label=_("Reason for the visit"), max_length=200, required=False
    )
    visitor_visiting = forms.CharField(label=_("Household visited"), max_length=200, required=False)
    mask = forms.TypedChoiceField(
        choices=[("1", _("Mask on")), ("0", _("No mask"))], coerce=lambda v: v == "1", initial="1"
    )
    health_code = forms.ChoiceField(choices=HealthCode.choices, initial="green")
    itinerary_star = forms.TypedChoiceField(
        choices=[("0", _("No star")), ("1", _("Star"))], coerce=lambda v: v == "1", initial="0"
    )
    direction = forms.ChoiceField(choices=Direction.choices, initial=Direction.IN)
    temperature = forms.CharField(max_length=8, required=False)

    def clean_temperature(self) -> Decimal | None:
        raw = self.cleaned_data["temperature"].strip().replace(",", ".")
        if not raw:
            return None
        # The pad lets staff type 365 for 36.5.
        if _THREE_DIGITS.match(raw):
            raw = f"{raw[:2]}.{raw[2]}"
        try:
            return Decimal(raw)
        except InvalidOperation:
            raise forms.ValidationError(_("please measure the temperature again")) from None

    def visitor(self) -> VisitorInput | None:
        data = self.cleaned_data
        visitor = VisitorInput(
            name=data["visitor_name"],
            phone=data["visitor_phone"],
            id_number=data["visitor_id_number"],
            reason=data["visitor_reason"],
            visiting=data["visitor_visiting"],
        )
        return visitor if any(vars(visitor).values()) else None

    def to_input(self) -> EntryInput:
        data = self.cleaned_data
        identifier = data["identifier"].strip()
        code = id_number = None
        person_id = data["person_id"] or None
        visitor = None
        if person_id is None:
            if identifier and passcodes.looks_like_code(identifier):
                code = identifier
            elif identifier:
                id_number = identifier
            else:
                visitor = self.visitor()
        observed_at: datetime.datetime = data["observed_at"] or timezone.now()
        return EntryInput(
            client_uuid=data["client_uuid"],
            observed_at=observed_at,
            mask=data["mask"],
            health_code=data["health_code"],
            temperature=data["temperature"],
            itinerary_star=data["itinerary_star"],
            direction=data["direction"],
            code=code,
            id_number=id_number,
            person_id=person_id,
            visitor=visitor,
            method=Method.DUTY_PAGE,
        )


class ArchiveLookupForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=50, required=False)
    last4 = forms.CharField(label=_("Last 4 of ID"), max_length=4, required=False)
    household = forms.CharField(label=_("Household"), max_length=100, required=False)


class DayForm(forms.Form):
    day = forms.DateField(label=_("Day"), required=False)


class PrintForm(forms.Form):
    household = forms.IntegerField(required=False, widget=forms.HiddenInput)
    unit = forms.CharField(label=_("Unit code"), max_length=32, required=False)
    only_without_smartphone = forms.BooleanField(
        label=_("Only people without a smartphone"), required=False
    )
    format = forms.ChoiceField(
        choices=[("html", _("Print page")), ("pdf", "PDF")], initial="html", required=False
    )
