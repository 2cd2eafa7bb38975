"""Users, their roles at units, and device tokens."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from fangkong.accounts import rules
from fangkong.core.scoping import Scope
from fangkong.regions.models import Unit


class Role(models.TextChoices):
    COMMANDER = rules.COMMANDER, _("commander")
    UNIT_ADMIN = rules.UNIT_ADMIN, _("unit administrator")
    CADRE = rules.CADRE, _("cadre")
    GATE_STAFF = rules.GATE_STAFF, _("gate staff")
    SAMPLER = rules.SAMPLER, _("sampler")
    LAB_TECHNICIAN = rules.LAB_TECHNICIAN, _("lab technician")
    VACCINATOR = rules.VACCINATOR, _("vaccinator")
    SCHOOL_REPORTER = rules.SCHOOL_REPORTER, _("school reporter")
    INSPECTOR = rules.INSPECTOR, _("inspector")
    DONATIONS_CLERK = rules.DONATIONS_CLERK, _("donations clerk")
    HOTLINE_AGENT = rules.HOTLINE_AGENT, _("hotline agent")


class User(AbstractUser):
    """A staff member who logs in. What they may see and do comes from their
    role assignments; a superuser sees everything (the back office)."""

    display_name = models.CharField(_("display name"), max_length=100, blank=True)
    phone = models.CharField(_("work phone"), max_length=20, blank=True)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.display_name or self.username

    def roles(self) -> list[RoleAssignment]:
        cached = getattr(self, "_role_cache", None)
        if cached is None:
            cached = list(self.role_assignments.select_related("unit"))
            self._role_cache = cached
        return cached

    def role_names(self) -> set[str]:
        return {assignment.role for assignment in self.roles()}

    def scope_for(self, capability: str) -> Scope:
        if not self.is_active:
            return Scope.nothing()
        if self.is_superuser:
            return Scope.all()
        granting = rules.roles_granting(capability)
        return Scope.of_units(a.unit for a in self.roles() if a.role in granting)

    def can(self, capability: str, unit: Unit | None = None) -> bool:
        scope = self.scope_for(capability)
        if unit is None:
            return scope.everything or bool(scope.paths)
        return scope.contains(unit)


class RoleAssignment(models.Model):
    """A user holds a role at a unit and acts inside that unit's subtree."""

    user = models.ForeignKey(
        User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="role_assignments"
    )
    role = models.CharField(_("role"), max_length=24, choices=Role.choices)
    unit = models.ForeignKey(
        Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="role_assignments"
    )

    class Meta:
        verbose_name = _("role assignment")
        verbose_name_plural = _("role assignments")
        ordering = ["user", "role"]
        constraints = [
            models.UniqueConstraint(fields=["user", "role", "unit"], name="role_assignment_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} @ {self.unit}"


class DeviceToken(models.Model):
    """A bearer token for a scanner, gate terminal or face-recognition gate,
    bound to a unit. Only a SHA-256 hash is stored; the token is shown once."""

    scope_unit_lookup = "unit"

    name = models.CharField(_("name"), max_length=100)
    unit = models.ForeignKey(
        Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="device_tokens"
    )
    token_hash = models.CharField(_("token hash"), max_length=64, unique=True, editable=False)
    token_prefix = models.CharField(_("token prefix"), max_length=12, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.CharField(_("created by"), max_length=150, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)

    class Meta:
        verbose_name = _("device token")
        verbose_name_plural = _("device tokens")
        ordering = ["unit", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.token_prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    def scope(self) -> Scope:
        return Scope.of_units([self.unit]) if self.is_active else Scope.nothing()
