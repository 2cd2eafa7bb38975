"""Base for API schemas: strict, so an unknown or misspelt field is an error
that names it, not silently dropped."""

from django.http import HttpResponse
from ninja import Schema
from pydantic import BaseModel, ConfigDict


class StrictSchema(Schema):
    model_config = ConfigDict(extra="forbid")


class ErrorItem(Schema):
    loc: list[str | int]
    msg: str
    type: str = "value_error"


class ErrorOut(Schema):
    detail: list[ErrorItem] | str


def json_response(body: BaseModel, status: int = 200) -> HttpResponse:
    """A response schema the endpoint has just built and validated, written
    by pydantic's own serializer: ninja would dump it to dicts and encode
    those again, which a 500-entry batch feels."""
    return HttpResponse(body.model_dump_json(), content_type="application/json", status=status)
