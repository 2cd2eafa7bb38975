"""The command office's bulletin page: pick a bulletin, a cut-off and a unit;
preview; download each format; issue; the archive of issued bulletins."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fangkong.bulletins import outputs, queries, services
from fangkong.bulletins.engine import BulletinError, BulletinTable
from fangkong.bulletins.forms import BulletinForm, IssueForm
from fangkong.core.audit import Actor
from fangkong.core.scoping import scope_for_user
from fangkong.core.views import require
from fangkong.regions.queries import get_unit_for_scope

ARCHIVE_PAGE = 100


def _preview(request: HttpRequest, form: BulletinForm) -> BulletinTable | None:
    """The previewed table, or None with the reason added to the form."""
    if not form.is_valid():
        return None
    scope = scope_for_user(request.user, "bulletins.view")
    data = form.cleaned_data
    under = get_unit_for_scope(scope, code=data["unit"])
    try:
        return queries.preview(
            data["kind"],
            as_of=data["as_of"],
            under=under,
            level=data["level"],
            extra_columns=data["columns"],
        )
    except BulletinError as error:
        form.add_error(None, str(error))
        return None


def _download(table: BulletinTable, fmt: str) -> HttpResponse:
    if fmt not in outputs.FORMATS:
        raise Http404
    try:
        content = outputs.render(table, fmt)
    except BulletinError as error:
        return HttpResponse(str(error), status=503, content_type="text/plain; charset=utf-8")
    response = HttpResponse(content, content_type=outputs.FORMATS[fmt].content_type)
    disposition = "inline" if fmt in ("html", "png") else "attachment"
    response["Content-Disposition"] = f'{disposition}; filename="{outputs.filename(table, fmt)}"'
    return response


def _context(request: HttpRequest, form: BulletinForm, table: BulletinTable | None) -> dict:
    scope = scope_for_user(request.user, "bulletins.view")
    return {
        "form": form,
        "table": table,
        "header": outputs.header(table) if table else [],
        "rows": [[outputs.cell_text(v) for v in cells] for cells in outputs.body(table)]
        if table
        else [],
        "query": request.GET.urlencode(),
        "formats": list(outputs.FORMATS),
        "can_issue": table is not None and request.user.can("bulletins.issue"),
        "issue_key": uuid.uuid4(),
        "recent": queries.issued_for_scope(scope)[:5],
    }


@login_required
def index(request: HttpRequest) -> HttpResponse:
    """The form, and the preview when the form was submitted (htmx: the preview only)."""
    require(request, "bulletins.view")
    units = queries.issuing_units(scope_for_user(request.user, "bulletins.view"))
    form = BulletinForm(request.GET or None, units=units)
    table = _preview(request, form) if form.is_bound else None
    template = "bulletins/_preview.html" if request.htmx else "bulletins/index.html"
    return render(request, template, _context(request, form, table))


@login_required
def preview_download(request: HttpRequest, fmt: str) -> HttpResponse:
    require(request, "bulletins.view")
    units = queries.issuing_units(scope_for_user(request.user, "bulletins.view"))
    form = BulletinForm(request.GET, units=units)
    table = _preview(request, form)
    if table is None:
        return HttpResponse(
            "; ".join(str(e) for errors in form.errors.values() for e in errors),
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    return _download(table, fmt)


@login_required
@require_POST
def issue(request: HttpRequest) -> HttpResponse:
    require(request, "bulletins.issue")
    scope = scope_for_user(request.user, "bulletins.issue")
    form = IssueForm(request.POST, units=queries.issuing_units(scope))
    if not form.is_valid():
        messages.error(request, _("The bulletin was not issued: check the cut-off and the unit."))
        return redirect("bulletins:index")
    data = form.cleaned_data
    under = get_unit_for_scope(scope, code=data["unit"])
    try:
        bulletin = services.issue_bulletin(
            Actor.for_user(request.user),
            data["kind"],
            as_of=data["as_of"],
            under=under,
            level=data["level"],
            extra_columns=data["columns"],
            client_uuid=data["client_uuid"],
        )
    except BulletinError as error:
        messages.error(request, str(error))
        return redirect("bulletins:index")
    messages.success(request, _("Issued: %(title)s") % {"title": bulletin.title})
    return redirect("bulletins:issued", bulletin_id=bulletin.pk)


@login_required
def archive(request: HttpRequest) -> HttpResponse:
    require(request, "bulletins.view")
    scope = scope_for_user(request.user, "bulletins.view")
    bulletins = queries.issued_for_scope(scope)[:ARCHIVE_PAGE]
    return render(request, "bulletins/archive.html", {"bulletins": bulletins})


def _issued(request: HttpRequest, bulletin_id: Any) -> tuple[Any, BulletinTable]:
    require(request, "bulletins.view")
    scope = scope_for_user(request.user, "bulletins.view")
    bulletin = queries.get_issued_for_scope(scope, bulletin_id)
    return bulletin, queries.issued_table(bulletin)


@login_required
def issued(request: HttpRequest, bulletin_id: int) -> HttpResponse:
    bulletin, table = _issued(request, bulletin_id)
    return render(
        request,
        "bulletins/issued.html",
        {
            "bulletin": bulletin,
            "table": table,
            "header": outputs.header(table),
            "rows": [[outputs.cell_text(v) for v in cells] for cells in outputs.body(table)],
            "formats": list(outputs.FORMATS),
            "issued_line": outputs.issued_line(table),
        },
    )


@login_required
def issued_download(request: HttpRequest, bulletin_id: int, fmt: str) -> HttpResponse:
    _bulletin, table = _issued(request, bulletin_id)
    return _download(table, fmt)
