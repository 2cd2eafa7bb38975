"""Issued bulletins: immutable snapshots."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fangkong.core.scoping import ScopedQuerySet


class SnapshotChangeError(RuntimeError):
    """Raised on any attempt to change or delete an issued bulletin."""


class IssuedBulletinQuerySet(ScopedQuerySet["IssuedBulletin"]):
    def update(self, **kwargs: Any) -> int:
        raise SnapshotChangeError("an issued bulletin never changes")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise SnapshotChangeError("an issued bulletin is never deleted")


class IssuedBulletin(models.Model):
    """A bulletin as issued: who issued it and when, for which unit and
    cut-off, and the whole table as it was (`data`, the bulletin's JSON:
    wording, columns, figures). Later or late-arriving data never changes
    it; every output format of an issued bulletin is rendered from `data`.
    Rows are written once and refuse updates and deletes.
    """

    scope_unit_lookup = "unit"

    kind = models.CharField(_("bulletin"), max_length=40)
    unit = models.ForeignKey(
        "regions.Unit",
        verbose_name=_("unit"),
        on_delete=models.PROTECT,
        related_name="issued_bulletins",
    )
    level = models.CharField(_("level"), max_length=20)
    as_of = models.DateTimeField(_("cut-off"))
    title = models.CharField(_("title"), max_length=200)
    data = models.JSONField(_("snapshot"))
    issued_at = models.DateTimeField(_("issued at"), default=timezone.now)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("issued by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Survives deletion of the user: "user:NAME" or "system:COMMAND".
    issued_by_label = models.CharField(_("issued by"), max_length=150)
    # A retried issue (double click, network retry) issues once.
    client_uuid = models.UUIDField(_("client key"), null=True, blank=True)

    objects = IssuedBulletinQuerySet.as_manager()

    class Meta:
        verbose_name = _("issued bulletin")
        verbose_name_plural = _("issued bulletins")
        ordering = ["-issued_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["client_uuid"],
                condition=models.Q(client_uuid__isnull=False),
                name="issued_bulletin_client_uuid_unique",
            )
        ]
        indexes = [models.Index(fields=["kind", "unit", "as_of"])]

    def __str__(self) -> str:
        return f"{self.title} {timezone.localtime(self.as_of):%Y-%m-%d %H:%M}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise SnapshotChangeError("an issued bulletin never changes")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise SnapshotChangeError("an issued bulletin is never deleted")
