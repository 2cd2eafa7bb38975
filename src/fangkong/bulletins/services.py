"""Issuing bulletins: a preview becomes an immutable snapshot."""

from __future__ import annotations

import datetime
import uuid

from django.db import IntegrityError, transaction
from django.utils import timezone

from fangkong.bulletins import engine
from fangkong.bulletins.catalog import get_kind
from fangkong.bulletins.models import IssuedBulletin
from fangkong.core import audit
from fangkong.core.audit import Actor
from fangkong.regions.models import Unit


@transaction.atomic
def issue_bulletin(
    actor: Actor,
    kind: str,
    *,
    as_of: datetime.datetime,
    under: Unit,
    level: str = "children",
    extra_columns: tuple[str, ...] | list[str] = (),
    client_uuid: uuid.UUID | None = None,
) -> IssuedBulletin:
    """Compute the bulletin now and keep it as issued. The caller checks that
    the actor may issue for `under`. The same `client_uuid` again returns the
    bulletin already issued."""
    if client_uuid is not None:
        existing = IssuedBulletin.objects.filter(client_uuid=client_uuid).first()
        if existing is not None:
            return existing
    table = engine.compute(
        get_kind(kind), as_of=as_of, under=under, level=level, extra_columns=extra_columns
    )
    issued_at = timezone.now()
    user = actor.user if actor.user is not None and actor.user.pk else None
    data = table.as_dict()
    # Who and when are part of the snapshot, as printed then.
    data["issued"] = {
        "at": timezone.localtime(issued_at).isoformat(),
        "by": str(user) if user is not None else actor.label,
    }
    try:
        with transaction.atomic():
            bulletin = IssuedBulletin.objects.create(
                kind=kind,
                unit=under,
                level=level,
                as_of=as_of,
                title=table.title,
                data=data,
                issued_at=issued_at,
                issued_by=user,
                issued_by_label=actor.label,
                client_uuid=client_uuid,
            )
    except IntegrityError:
        existing = IssuedBulletin.objects.filter(client_uuid=client_uuid).first()
        if existing is None:
            raise
        return existing
    audit.record(
        actor,
        "bulletins.issue",
        unit=under,
        target=bulletin,
        kind=kind,
        as_of=data["as_of"],
        level=level,
    )
    return bulletin
