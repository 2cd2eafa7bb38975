"""Staff pages for vaccination: recording a dose at the clinic."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from fangkong.core.audit import Actor
from fangkong.core.errors import FieldError
from fangkong.core.scoping import scope_for_user
from fangkong.regions.queries import get_unit_for_scope
from fangkong.vaccination import forms, queries, services


@login_required
def record(request: HttpRequest) -> HttpResponse:
    """Record one dose given by a unit in the vaccinator's area."""
    if not request.user.can("vaccination.record"):
        raise PermissionDenied
    scope = scope_for_user(request.user, "vaccination.record")
    units = queries.administering_units(scope)
    form = forms.DoseForm(request.POST or None, units=units)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        unit = get_unit_for_scope(scope, code=data["unit"])
        try:
            dose = services.record_dose(
                Actor.for_user(request.user),
                id_number=data["id_number"],
                name=data["name"],
                dose_number=data["dose_number"],
                vaccine=data["vaccine"],
                batch=data["batch"],
                administered_at=data["administered_at"],
                unit=unit,
                site=data["site"],
                client_uuid=data["client_uuid"],
            )
        except FieldError as error:
            if error.field in form.fields:
                form.add_error(error.field, str(error))
            else:
                form.add_error(None, str(error))
        else:
            messages.success(
                request,
                _("Dose %(number)s recorded for %(name)s %(id)s.")
                % {
                    "number": dose.dose_number,
                    "name": dose.person.name,
                    "id": dose.person.masked_id_number,
                },
            )
            return redirect("vaccination:record")
    return render(
        request,
        "vaccination/record.html",
        {
            "form": form,
            "vaccines": forms.COMMON_VACCINES,
            "recent": queries.recent_doses(scope),
        },
    )
