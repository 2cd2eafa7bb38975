"""Staff pages of mass testing: samplers (mobile), lab staff, cadres."""

from __future__ import annotations

from urllib.parse import quote

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from fangkong.core.scoping import Scope, scope_for_user

EXPORT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json",
}


def scope_or_403(request: HttpRequest, capability: str) -> Scope:
    """The user's scope for `capability`; 403 when they hold it nowhere."""
    if not request.user.can(capability):
        raise PermissionDenied
    return scope_for_user(request.user, capability)


def download(fmt: str, filename: str) -> HttpResponse:
    response = HttpResponse(content_type=EXPORT_TYPES[fmt])
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}.{fmt}"
    return response
