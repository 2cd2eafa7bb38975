from django import forms
from django.utils.translation import gettext_lazy as _

from fangkong.people.models import Status


class SearchForm(forms.Form):
    q = forms.CharField(
        label=_("Name, full ID number or last 4 digits"), max_length=40, required=False
    )
    unit = forms.CharField(label=_("Unit code"), max_length=32, required=False)


class ImportForm(forms.Form):
    file = forms.FileField(label=_("CSV or XLSX file"))
    partial = forms.BooleanField(
        label=_("Import the good rows even if some rows are bad"), required=False
    )


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=_("New status"), choices=Status.choices)
    note = forms.CharField(label=_("Note"), max_length=300, required=False)
