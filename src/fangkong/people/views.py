"""Staff pages for the registry: search, person detail, status, import."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fangkong.core.audit import Actor
from fangkong.core.errors import FieldError
from fangkong.core.exports import download
from fangkong.core.importing import ImportFileError
from fangkong.core.scoping import scope_for_user
from fangkong.core.uploads import error_report_response, keep_error_report, with_uploaded_file
from fangkong.core.views import require
from fangkong.people import queries, services
from fangkong.people.exports import write_residents
from fangkong.people.forms import ImportForm, SearchForm, StatusForm
from fangkong.regions.models import Unit
from fangkong.regions.queries import get_unit_for_scope

PAGE_SIZE = 50


@login_required
def search(request: HttpRequest) -> HttpResponse:
    require(request, "people.view")
    form = SearchForm(request.GET or None)
    results, unit = None, None
    if form.is_valid() and form.cleaned_data["q"]:
        scope = scope_for_user(request.user, "people.view")
        code = form.cleaned_data["unit"].strip()
        if code:
            unit = Unit.objects.for_scope(scope).filter(code=code).first()
        results = list(queries.search_people(scope, form.cleaned_data["q"], unit=unit)[:PAGE_SIZE])
    template = "people/_results.html" if request.htmx else "people/search.html"
    return render(request, template, {"form": form, "results": results})


@login_required
def detail(request: HttpRequest, person_id: int) -> HttpResponse:
    scope = scope_for_user(request.user, "people.view")
    person = queries.get_person_for_scope(scope, person_id)
    return render(
        request,
        "people/detail.html",
        {
            "person": person,
            "periods": person.status_periods.all(),
            "can_reveal": request.user.can("people.reveal", person.home_unit),
            "can_set_status": request.user.can("people.set_status", person.home_unit),
            "status_form": StatusForm(),
        },
    )


@login_required
@require_POST
def reveal(request: HttpRequest, person_id: int) -> HttpResponse:
    """htmx partial: the full numbers, for roles allowed; audit-logged."""
    scope = scope_for_user(request.user, "people.reveal")
    person = queries.get_person_for_scope(scope, person_id)
    revealed = services.reveal_person_numbers(Actor.for_user(request.user), person, reason="page")
    return render(request, "people/_revealed.html", {"revealed": revealed})


@login_required
@require_POST
def set_status(request: HttpRequest, person_id: int) -> HttpResponse:
    scope = scope_for_user(request.user, "people.set_status")
    person = queries.get_person_for_scope(scope, person_id)
    form = StatusForm(request.POST)
    if form.is_valid():
        try:
            services.set_person_status(
                Actor.for_user(request.user),
                person,
                form.cleaned_data["status"],
                note=form.cleaned_data["note"],
            )
            messages.success(request, _("Status changed."))
        except FieldError as error:
            messages.error(request, str(error))
    return redirect("people:detail", person_id=person.pk)


@login_required
def import_page(request: HttpRequest) -> HttpResponse:
    require(request, "people.import")
    result, report_name, file_error = None, None, None
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            result = with_uploaded_file(
                request.user,
                form.cleaned_data["file"],
                lambda path: services.import_people(
                    Actor.for_user(request.user),
                    path,
                    partial=form.cleaned_data["partial"],
                    scope=scope_for_user(request.user, "people.import"),
                ),
            )
        except ImportFileError as error:
            file_error = str(error)
        if result is not None and result.errors:
            report_name = keep_error_report(request.user, result.errors)
    return render(
        request,
        "people/import.html",
        {
            "form": form,
            "result": result,
            "errors": result.errors[:200] if result else [],
            "report_name": report_name,
            "file_error": file_error,
        },
    )


@login_required
def import_report(request: HttpRequest, name: str, fmt: str) -> FileResponse:
    """The uploader's own error report; other users get 404."""
    return error_report_response(request.user, name, fmt, "import-errors")


@login_required
def export(request: HttpRequest) -> HttpResponse:
    """A unit's residents as CSV or XLSX; `unmasked=1` for roles allowed to
    reveal, audit-logged as one export event."""
    code = request.GET.get("unit", "")
    fmt = "xlsx" if request.GET.get("format") == "xlsx" else "csv"
    unmasked = request.GET.get("unmasked") == "1"
    capability = "people.reveal" if unmasked else "people.view"
    scope = scope_for_user(request.user, capability)
    unit = get_unit_for_scope(scope, code=code)
    people = queries.people_for_scope(scope).filter(home_unit__path__startswith=unit.path)
    if unmasked:
        services.record_unmasked_export(Actor.for_user(request.user), unit, count=people.count())
    content = write_residents(
        people.order_by("home_unit__path", "household__label", "name"), fmt, unmasked=unmasked
    )
    return download(fmt, f"residents-{unit.code}", content)
