"""Model instances built from trusted column values, for the gate's hot path.

`Model(*values)` and `Model.from_db` run every field's descriptor and send
the pre_init and post_init signals; a batch of 500 entries builds a thousand
instances and feels it. `trusted_instance` fills the instance's attributes
directly, as from_db would leave them: fields not given are deferred (read
on first access). Only for models no pre_init/post_init receiver listens to
(a test holds the models that use it to that).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, TypeVar

from django.db import models
from django.db.models.base import ModelState

ModelType = TypeVar("ModelType", bound=models.Model)


def trusted_instance(
    model: type[ModelType],
    attnames: Sequence[str],
    values: Iterable[Any],
    *,
    database: str | None = None,
) -> ModelType:
    """An instance with these attributes (field attnames, e.g. `unit_id`),
    saved in `database` already, or new when it is None."""
    instance = model.__new__(model)
    instance.__dict__.update(zip(attnames, values, strict=True))
    state = instance._state = ModelState()
    if database is not None:
        state.adding, state.db = False, database
    return instance
