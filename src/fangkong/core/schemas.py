"""Base for API schemas: strict, so an unknown or misspelt field is an error
that names it, not silently dropped."""

from typing import Any

from django.http import HttpResponse
from ninja import Schema
from pydantic import ConfigDict
from pydantic_core import to_json


class StrictSchema(Schema):
    model_config = ConfigDict(extra="forbid")


class ErrorItem(Schema):
    loc: list[str | int]
    msg: str
    type: str = "value_error"


class ErrorOut(Schema):
    detail: list[ErrorItem] | str


def json_answer(body: dict[str, Any], status: int = 200) -> HttpResponse:
    """An answer the endpoint built as the plain dict its response schema
    would dump to, written by pydantic's serializer: ninja would validate
    it into models, dump those to dicts and encode them again, which a
    500-entry batch feels. Tests hold such answers to their schema."""
    return HttpResponse(to_json(body), content_type="application/json", status=status)
