"""Base for API schemas: strict, so an unknown or misspelt field is an error
that names it, not silently dropped."""

from ninja import Schema
from pydantic import ConfigDict


class StrictSchema(Schema):
    model_config = ConfigDict(extra="forbid")


class ErrorItem(Schema):
    loc: list[str | int]
    msg: str
    type: str = "value_error"


class ErrorOut(Schema):
    detail: list[ErrorItem] | str
