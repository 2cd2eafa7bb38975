"""Staff pages: the checkpoint list and settings, the duty page (htmx, no
reload per person), the figures and the day's register. Pass-code pages are
in `passcode_views`."""

from __future__ import annotations

import datetime
import io
import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from fangkong.accounts.models import User
from fangkong.checkpoints import queries, services
from fangkong.checkpoints.forms import (
    ArchiveLookupForm,
    BindStaffForm,
    CheckpointForm,
    DayForm,
    DutyEntryForm,
)
from fangkong.checkpoints.models import Checkpoint
from fangkong.core.audit import Actor
from fangkong.core.errors import FieldError
from fangkong.core.exports import download
from fangkong.core.scoping import scope_for_user
from fangkong.core.views import require
from fangkong.regions.models import Unit


@login_required
def checkpoint_list(request: HttpRequest) -> HttpResponse:
    require(request, "checkpoints.view")
    checkpoints = list(queries.checkpoints_for_user(request.user).order_by("unit__path", "name"))
    operable = set(
        queries.checkpoints_for_user(request.user, "checkpoints.operate").values_list(
            "pk", flat=True
        )
    )
    manageable = set(
        queries.checkpoints_for_user(request.user, "checkpoints.manage").values_list(
            "pk", flat=True
        )
    )
    return render(
        request,
        "checkpoints/list.html",
        {
            "rows": [(c, c.pk in operable, c.pk in manageable) for c in checkpoints],
            "can_manage": request.user.can("checkpoints.manage"),
            "today": timezone.localdate(),
        },
    )


def _unit_for(request: HttpRequest, code: str, capability: str) -> Unit | None:
    return (
        Unit.objects.for_scope(scope_for_user(request.user, capability)).filter(code=code).first()
    )


@login_required
def checkpoint_new(request: HttpRequest) -> HttpResponse:
    require(request, "checkpoints.manage")
    form = CheckpointForm(request.POST or None, initial={"unit": request.GET.get("unit", "")})
    if request.method == "POST" and form.is_valid():
        unit = _unit_for(request, form.cleaned_data["unit"].strip(), "checkpoints.manage")
        if unit is None:
            form.add_error("unit", _("unknown unit code or outside your area"))
        else:
            try:
                checkpoint = services.create_checkpoint(
                    Actor.for_user(request.user),
                    unit=unit,
                    name=form.cleaned_data["name"],
                    kind=form.cleaned_data["kind"] or None,
                    is_active=form.cleaned_data["is_active"],
                    **form.policy(),
                )
            except FieldError as error:
                form.add_error(error.field if error.field in form.fields else None, str(error))
            else:
                messages.success(request, _("Checkpoint created."))
                return redirect("checkpoints:edit", checkpoint_id=checkpoint.pk)
    return render(request, "checkpoints/form.html", {"form": form, "checkpoint": None})


@login_required
def checkpoint_edit(request: HttpRequest, checkpoint_id: int) -> HttpResponse:
    checkpoint = queries.get_checkpoint_for_user(request.user, "checkpoints.manage", checkpoint_id)
    initial = {
        "name": checkpoint.name,
        "kind": checkpoint.kind,
        "is_active": checkpoint.is_active,
        "fever_threshold": checkpoint.fever_threshold,
        "mask_required": checkpoint.mask_required,
        "admitted_health_codes": checkpoint.admitted_health_codes,
        "star_action": checkpoint.star_action,
        "negative_test_required": checkpoint.negative_test_required,
        "negative_test_hours": checkpoint.negative_test_hours,
        "denied_statuses": checkpoint.denied_statuses,
    }
    form = CheckpointForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_checkpoint(
                Actor.for_user(request.user),
                checkpoint,
                name=form.cleaned_data["name"],
                kind=form.cleaned_data["kind"],
                is_active=form.cleaned_data["is_active"],
                **form.policy(),
            )
        except FieldError as error:
            form.add_error(error.field if error.field in form.fields else None, str(error))
        else:
            messages.success(request, _("Policy saved."))
            return redirect("checkpoints:edit", checkpoint_id=checkpoint.pk)
    return render(
        request,
        "checkpoints/form.html",
        {
            "form": form,
            "checkpoint": checkpoint,
            "staff": checkpoint.staff.order_by("username"),
            "bind_form": BindStaffForm(),
        },
    )


@login_required
@require_POST
def staff_bind(request: HttpRequest, checkpoint_id: int) -> HttpResponse:
    checkpoint = queries.get_checkpoint_for_user(request.user, "checkpoints.manage", checkpoint_id)
    form = BindStaffForm(request.POST)
    if form.is_valid():
        user = User.objects.filter(username=form.cleaned_data["username"].strip()).first()
        try:
            if user is None:
                raise FieldError("username", _("no such user"))
            services.bind_staff(Actor.for_user(request.user), checkpoint, user)
            messages.success(request, _("Staff member bound."))
        except FieldError as error:
            messages.error(request, str(error))
    return redirect("checkpoints:edit", checkpoint_id=checkpoint.pk)


@login_required
@require_POST
def staff_unbind(request: HttpRequest, checkpoint_id: int, user_id: int) -> HttpResponse:
    checkpoint = queries.get_checkpoint_for_user(request.user, "checkpoints.manage", checkpoint_id)
    user = checkpoint.staff.filter(pk=user_id).first()
    if user is not None:
        services.unbind_staff(Actor.for_user(request.user), checkpoint, user)
    return redirect("checkpoints:edit", checkpoint_id=checkpoint.pk)


# --- the duty page -------------------------------------------------------------------


def _duty_context(checkpoint: Checkpoint) -> dict:
    return {
        "checkpoint": checkpoint,
        "recent": queries.recent_entries(checkpoint),
        "counts": queries.today_counts(checkpoint),
        "new_uuid": uuid.uuid4(),
    }


@login_required
def duty(request: HttpRequest, checkpoint_id: int) -> HttpResponse:
    checkpoint = queries.get_checkpoint_for_user(request.user, "checkpoints.operate", checkpoint_id)
    return render(request, "checkpoints/duty.html", _duty_context(checkpoint))


@login_required
@require_POST
def duty_register(request: HttpRequest, checkpoint_id: int) -> HttpResponse:
    """Register one check; htmx swaps in the result, the recent entries and a
    fresh client_uuid. Errors are shown in the result box (status 200, so
    htmx swaps them) and create nothing."""
    checkpoint = queries.get_checkpoint_for_user(request.user, "checkpoints.operate", checkpoint_id)
    form = DutyEntryForm(request.POST)
    result, error_field, error = None, None, None
    if not checkpoint.is_active:
        error = _("this checkpoint is closed")
    elif form.is_valid():
        try:
            result = services.register_entry(
                Actor.for_user(request.user), checkpoint, form.to_input()
            )
        except FieldError as failure:
            error_field, error = failure.field, str(failure)
    else:
        error_field, messages_ = next(iter(form.errors.items()))
        error = messages_[0]
    context = {
        **_duty_context(checkpoint),
        "result": result,
        "error": error,
        "error_field": error_field,
    }
    template = "checkpoints/_duty_result.html" if request.htmx else "checkpoints/duty.html"
    return render(request, template, context)


@login_required
@require_GET
def duty_lookup(request: HttpRequest, checkpoint_id: int) -> HttpResponse:
    checkpoint = queries.get_checkpoint_for_user(request.user, "checkpoints.operate", checkpoint_id)
    form = ArchiveLookupForm(request.GET)
    people, asked = [], False
    if form.is_valid():
        people = queries.search_archive(
            checkpoint,
            name=form.cleaned_data["name"],
            last4=form.cleaned_data["last4"],
            household=form.cleaned_data["household"],
        )
        asked = any(form.cleaned_data.values())
    return render(request, "checkpoints/_archive.html", {"people": people, "asked": asked})


@login_required
@require_GET
def duty_recent(request: HttpRequest, checkpoint_id: int) -> HttpResponse:
    checkpoint = queries.get_checkpoint_for_user(request.user, "checkpoints.operate", checkpoint_id)
    # The fragment lists the recent entries only: no counts, no fresh UUID.
    return render(
        request, "checkpoints/_recent.html", {"recent": queries.recent_entries(checkpoint)}
    )


# --- figures and records ------------------------------------------------------------


def _day(request: HttpRequest) -> datetime.date:
    form = DayForm(request.GET)
    if form.is_valid() and form.cleaned_data["day"]:
        return form.cleaned_data["day"]
    return timezone.localdate()


@login_required
def figures(request: HttpRequest, checkpoint_id: int) -> HttpResponse:
    checkpoint = queries.get_checkpoint_for_user(request.user, "checkpoints.view", checkpoint_id)
    day = _day(request)
    return render(
        request,
        "checkpoints/figures.html",
        {
            "checkpoint": checkpoint,
            "day": day,
            "figures": queries.checkpoint_figures(checkpoint, day),
            "can_unmask": request.user.can("checkpoints.export_unmasked", checkpoint.unit),
        },
    )


@login_required
def unit_figures(request: HttpRequest) -> HttpResponse:
    require(request, "checkpoints.view")
    day = _day(request)
    code = request.GET.get("unit", "").strip()
    unit = _unit_for(request, code, "checkpoints.view") if code else None
    total, rows = None, []
    if unit is not None:
        total, rows = queries.unit_figures(request.user, unit, day)
    return render(
        request,
        "checkpoints/unit_figures.html",
        {"unit": unit, "code": code, "day": day, "figures": total, "rows": rows},
    )


@login_required
def register_xlsx(request: HttpRequest, checkpoint_id: int) -> HttpResponse:
    checkpoint = queries.get_checkpoint_for_user(request.user, "checkpoints.view", checkpoint_id)
    day = _day(request)
    unmasked = request.GET.get("unmasked") == "1"
    if unmasked and not request.user.can("checkpoints.export_unmasked", checkpoint.unit):
        raise Http404
    out = io.BytesIO()
    services.export_register(Actor.for_user(request.user), checkpoint, day, out, unmasked=unmasked)
    suffix = "-unmasked" if unmasked else ""
    return download("xlsx", f"register-{checkpoint.pk}-{day:%Y%m%d}{suffix}", out.getvalue())


@login_required
def allowed_residents_csv(request: HttpRequest, checkpoint_id: int) -> HttpResponse:
    checkpoint = queries.get_checkpoint_for_user(request.user, "checkpoints.manage", checkpoint_id)
    out = io.StringIO()
    services.export_allowed_residents(Actor.for_user(request.user), checkpoint, out)
    return download("csv", f"allowed-{checkpoint.pk}", out.getvalue().encode("utf-8-sig"))
