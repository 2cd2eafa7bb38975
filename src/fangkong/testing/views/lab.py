"""Lab pages: receive tubes by scanning, enter one result, import a file."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from fangkong.core.audit import Actor
from fangkong.core.errors import FieldError
from fangkong.core.importing import ImportFileError
from fangkong.core.uploads import error_report_response, keep_error_report, with_uploaded_file
from fangkong.core.views import scope_or_403
from fangkong.testing import queries, services
from fangkong.testing.forms import ImportForm, ReceiveForm, ResultForm

CAPABILITY = "testing.lab"


@login_required
def lab_home(request: HttpRequest) -> HttpResponse:
    rounds = queries.rounds_for_scope(scope_or_403(request, CAPABILITY))
    return render(request, "testing/lab.html", {"rounds": rounds})


@login_required
def lab_round(request: HttpRequest, round_id: int) -> HttpResponse:
    scope = scope_or_403(request, CAPABILITY)
    testing_round = queries.get_round_for_scope(scope, round_id)
    actor = Actor.for_user(request.user)
    action = request.POST.get("action") if request.method == "POST" else None
    receive_form = ReceiveForm(request.POST if action == "receive" else None)
    result_form = ResultForm(request.POST if action == "result" else None)
    import_form = ImportForm(
        request.POST if action == "import" else None, request.FILES if action == "import" else None
    )
    outcome, report_name, file_error = None, None, None
    if action == "receive" and receive_form.is_valid():
        try:
            tube = services.receive_tube(
                actor,
                round=testing_round,
                barcode=receive_form.cleaned_data["barcode"],
                scope=scope,
            )
            messages.success(
                request,
                _("Tube %(barcode)s received (%(count)s samples).")
                % {"barcode": tube.barcode, "count": tube.sample_count},
            )
            return redirect("testing:lab_round", round_id=testing_round.pk)
        except FieldError as error:
            receive_form.add_error("barcode", str(error))
    if action == "result" and result_form.is_valid():
        data = result_form.cleaned_data
        try:
            outcome = services.enter_result(
                actor,
                testing_round,
                tube_barcode=data["barcode"],
                result=data["result"],
                ct_value=str(data["ct_value"] or ""),
                reported_at=data["reported_at"],
                lab=data["lab"],
                scope=scope,
            )
            messages.success(
                request, _("Result saved for tube %(barcode)s.") % {"barcode": data["barcode"]}
            )
            return redirect("testing:lab_round", round_id=testing_round.pk)
        except FieldError as error:
            field = {"tube_barcode": "barcode"}.get(error.field, error.field)
            result_form.add_error(field if field in result_form.fields else None, str(error))
    if action == "import" and import_form.is_valid():
        try:
            outcome = with_uploaded_file(
                request.user,
                import_form.cleaned_data["file"],
                lambda path: services.import_results(
                    actor,
                    testing_round,
                    path,
                    partial=import_form.cleaned_data["partial"],
                    scope=scope,
                ),
            )
        except ImportFileError as error:
            file_error = str(error)
        if outcome is not None and outcome.errors:
            report_name = keep_error_report(request.user, outcome.errors)
    return render(
        request,
        "testing/lab_round.html",
        {
            "round": testing_round,
            "receive_form": receive_form,
            "result_form": result_form,
            "import_form": import_form,
            "outcome": outcome,
            "errors": outcome.errors[:200] if outcome else [],
            "report_name": report_name,
            "file_error": file_error,
        },
    )


@login_required
def import_report(request: HttpRequest, name: str, fmt: str) -> FileResponse:
    """The uploader's own error report; other users get 404."""
    return error_report_response(request.user, name, fmt, "result-errors")
