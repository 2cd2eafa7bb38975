"""The JSON API under /api/v1/: each app contributes `<app>/api.py:router`,
mounted at /api/v1/<app label>/. The OpenAPI document is committed as
docs/openapi.json and a test keeps it equal to this code."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI

from fangkong import __version__
from fangkong.accounts.auth import API_AUTH
from fangkong.core.discovery import app_modules
from fangkong.core.errors import FieldError, detail

api = NinjaAPI(
    title="Fangkong API",
    version=__version__,
    description="Devices and integrations: units, people, and each domain app.",
    auth=API_AUTH,
    urls_namespace="api",
)


@api.exception_handler(FieldError)
def field_error(request: HttpRequest, error: FieldError) -> HttpResponse:
    return api.create_response(request, detail(error.field, str(error)), status=error.status)


for label, module in app_modules("api"):
    router = getattr(module, "router", None)
    if router is not None:
        api.add_router(f"/{label}/", router)
