"""Errors a service raises for bad input; the API answers them as 422 with
the same shape as schema validation errors, naming the field."""

from __future__ import annotations


class FieldError(ValueError):
    """Bad input for one named field; the message is for the user."""

    def __init__(self, field: str, message: str, status: int = 422) -> None:
        super().__init__(message)
        self.field = field
        self.status = status


def detail(field: str, message: str) -> dict:
    return {"detail": [{"loc": ["body", *field.split(".")], "msg": message, "type": "value_error"}]}
