"""Gate checkpoints (卡点), their admission policy and staff, personal pass
codes, and the entries registered at the gates."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fangkong.checkpoints import rules
from fangkong.core import personal_data
from fangkong.core.models import TimestampedModel
from fangkong.core.scoping import Scope, ScopedQuerySet


class CheckpointKind(models.TextChoices):
    COMPOUND_GATE = "compound_gate", _("compound gate")
    VILLAGE_ENTRANCE = "village_entrance", _("village entrance")
    SCHOOL_GATE = "school_gate", _("school gate")
    OTHER = "other", _("other")


class StarAction(models.TextChoices):
    DENY = rules.StarAction.DENY.value, _("deny")
    FLAG = rules.StarAction.FLAG.value, _("admit and flag for follow-up")


class HealthCode(models.TextChoices):
    GREEN = "green", _("green")
    YELLOW = "yellow", _("yellow")
    RED = "red", _("red")
    NONE = "none", _("not shown")


class Direction(models.TextChoices):
    IN = "in", _("in")
    OUT = "out", _("out")


class Decision(models.TextChoices):
    ADMIT = "admit", _("admit")
    DENY = "deny", _("deny")


class IdentifiedBy(models.TextChoices):
    CODE = "code", _("pass code")
    ID_NUMBER = "id_number", _("ID number")
    ARCHIVE = "person", _("gate archive")
    VISITOR = "visitor", _("visitor form")


class Method(models.TextChoices):
    DUTY_PAGE = "duty_page", _("duty page")
    DEVICE = "device", _("scanner or terminal")
    FACE_GATE = "face_gate", _("face-recognition gate")


def _default_admitted_codes() -> list[str]:
    return list(rules.DEFAULT_ADMITTED_HEALTH_CODES)


def _default_denied_statuses() -> list[str]:
    return list(rules.DEFAULT_DENIED_STATUSES)


class CheckpointQuerySet(ScopedQuerySet["Checkpoint"]):
    def for_staff(self, user: Any, capability: str) -> CheckpointQuerySet:
        """Checkpoints a user may work at or look at: the whole unit subtree
        for office roles, only the checkpoints they are bound to for gate
        staff (rules.BOUND_ROLES)."""
        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_superuser:
            return self.all()
        granting = {a for a in user.roles() if a.role in _roles_granting(capability)}
        free = [a.unit for a in granting if a.role not in rules.BOUND_ROLES]
        bound = [a.unit for a in granting if a.role in rules.BOUND_ROLES]
        condition = Scope.of_units(free).q("unit") if free else Q(pk__in=[])
        if bound:
            bound_ids = CheckpointStaff.objects.filter(user=user).values("checkpoint_id")
            condition |= Scope.of_units(bound).q("unit") & Q(pk__in=bound_ids)
        return self.filter(condition)


def _roles_granting(capability: str) -> frozenset[str]:
    from fangkong.accounts.rules import roles_granting

    return roles_granting(capability)


class Checkpoint(TimestampedModel):
    """A gate where people are checked and registered: a compound gate, a
    village entrance or a school gate, at a unit, with its admission policy
    and the staff bound to it."""

    scope_unit_lookup = "unit"

    unit = models.ForeignKey(
        "regions.Unit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="checkpoints"
    )
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(
        _("kind"), max_length=20, choices=CheckpointKind.choices, default=CheckpointKind.OTHER
    )
    is_active = models.BooleanField(_("open"), default=True)
    fever_threshold = models.DecimalField(
        _("fever threshold (°C)"),
        max_digits=3,
        decimal_places=1,
        default=rules.DEFAULT_FEVER_THRESHOLD,
        validators=[
            MinValueValidator(rules.MIN_PLAUSIBLE_TEMPERATURE),
            MaxValueValidator(rules.MAX_PLAUSIBLE_TEMPERATURE),
        ],
        help_text=_("A temperature at or above this is a fever."),
    )
    mask_required = models.BooleanField(_("mask required"), default=True)
    admitted_health_codes = models.JSONField(
        _("admitted health-code colours"), default=_default_admitted_codes
    )
    star_action = models.CharField(
        _("itinerary-code star"),
        max_length=8,
        choices=StarAction.choices,
        default=StarAction.DENY,
    )
    negative_test_required = models.BooleanField(
        _("negative nucleic-acid test required"), default=False
    )
    negative_test_hours = models.PositiveSmallIntegerField(
        _("negative test valid for (hours)"),
        default=rules.DEFAULT_NEGATIVE_TEST_HOURS,
        validators=[MinValueValidator(1), MaxValueValidator(rules.MAX_NEGATIVE_TEST_HOURS)],
    )
    denied_statuses = models.JSONField(_("denied statuses"), default=_default_denied_statuses)
    staff = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("gate staff"),
        through="CheckpointStaff",
        related_name="checkpoints",
        blank=True,
    )

    objects = CheckpointQuerySet.as_manager()

    class Meta:
        verbose_name = _("checkpoint")
        verbose_name_plural = _("checkpoints")
        ordering = ["unit", "name"]
        constraints = [
            models.UniqueConstraint(fields=["unit", "name"], name="checkpoint_name_unique_in_unit")
        ]

    def __str__(self) -> str:
        return f"{self.unit.name} · {self.name}"

    def policy(self) -> rules.Policy:
        return rules.Policy(
            fever_threshold=Decimal(self.fever_threshold),
            mask_required=self.mask_required,
            admitted_health_codes=frozenset(self.admitted_health_codes),
            star_action=rules.StarAction(self.star_action),
            negative_test_hours=self.negative_test_hours if self.negative_test_required else None,
            denied_statuses=frozenset(self.denied_statuses),
        )


class CheckpointStaff(models.Model):
    """A gate staff member bound to a checkpoint: where they do duty."""

    checkpoint = models.ForeignKey(
        Checkpoint, verbose_name=_("checkpoint"), on_delete=models.CASCADE
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE
    )
    bound_at = models.DateTimeField(_("bound at"), default=timezone.now)

    class Meta:
        verbose_name = _("checkpoint staff")
        verbose_name_plural = _("checkpoint staff")
        constraints = [
            models.UniqueConstraint(fields=["checkpoint", "user"], name="checkpoint_staff_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.checkpoint}"


class PassCode(models.Model):
    """The current personal pass code of a person: its version and issue
    date. The code itself is not stored (it is re-signed on demand); a
    reissue raises the version, and codes of a lower version are revoked."""

    scope_unit_lookup = "person__home_unit"

    person = models.OneToOneField(
        "people.Person",
        verbose_name=_("person"),
        on_delete=models.CASCADE,
        related_name="pass_code",
        primary_key=True,
    )
    version = models.PositiveIntegerField(_("version"), default=1)
    issued_on = models.DateField(_("issued on"))
    issued_at = models.DateTimeField(_("issued at"), default=timezone.now, db_index=True)
    issued_by = models.CharField(_("issued by"), max_length=150, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("pass code")
        verbose_name_plural = _("pass codes")

    def __str__(self) -> str:
        return f"{self.person_id} v{self.version}"


class Entry(models.Model):
    """One check of one person at a gate: who, what was seen (mask,
    temperature, health code, itinerary star), the decision with its reasons,
    and who registered it from which device.

    High-volume and short-lived (purged after ENTRY_RETENTION_DAYS): kept
    narrow, indexed by `observed_at`, and carrying the checkpoint's unit on
    every row, so the table can be partitioned by day and distributed by
    unit. `client_uuid` makes a device's retries idempotent.
    """

    scope_unit_lookup = "unit"

    client_uuid = models.UUIDField(_("client UUID"), unique=True)
    # A digest of the observation: a retry with the same UUID must match it.
    content_hash = models.CharField(_("content digest"), max_length=32)
    checkpoint = models.ForeignKey(
        Checkpoint,
        verbose_name=_("checkpoint"),
        on_delete=models.PROTECT,
        related_name="entries",
        db_index=False,  # (checkpoint, observed_at) serves it
    )
    unit = models.ForeignKey(
        "regions.Unit",
        verbose_name=_("unit"),
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,  # (unit, observed_at) serves it
    )
    person = models.ForeignKey(
        "people.Person",
        verbose_name=_("person"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,  # the subject index serves tracing
    )
    # "p:<person id>", "v:<visitor ID hash prefix>", or "" when unknown: who
    # this is across attempts and gates, for linking and tracing.
    subject_key = models.CharField(_("subject"), max_length=40, blank=True)
    identified_by = models.CharField(
        _("identified by"), max_length=10, choices=IdentifiedBy.choices
    )
    method = models.CharField(
        _("method"), max_length=10, choices=Method.choices, default=Method.DEVICE
    )
    direction = models.CharField(
        _("direction"), max_length=3, choices=Direction.choices, default=Direction.IN
    )
    mask = models.BooleanField(_("mask"))
    temperature = models.DecimalField(
        _("temperature (°C)"), max_digits=3, decimal_places=1, null=True, blank=True
    )
    health_code = models.CharField(_("health code"), max_length=6, choices=HealthCode.choices)
    itinerary_star = models.BooleanField(_("itinerary star"), default=False)
    observed_at = models.DateTimeField(_("observed at"))
    received_at = models.DateTimeField(_("received at"), default=timezone.now)
    decision = models.CharField(_("decision"), max_length=5, choices=Decision.choices)
    reasons = models.PositiveIntegerField(_("reasons"), default=0)
    follow_up = models.BooleanField(_("flagged for follow-up"), default=False)
    # Rows are only ever deleted by the purge, which clears these links first.
    previous_attempt = models.ForeignKey(
        "self",
        verbose_name=_("previous attempt"),
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        related_name="+",
        db_index=False,
    )
    attempt = models.PositiveSmallIntegerField(_("attempt"), default=1)
    operator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("operator"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    device = models.ForeignKey(
        "accounts.DeviceToken",
        verbose_name=_("device"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("entry")
        verbose_name_plural = _("entries")
        ordering = ["-observed_at", "-id"]
        indexes = [
            models.Index(fields=["observed_at"], name="entry_observed"),
            models.Index(fields=["checkpoint", "observed_at"], name="entry_checkpoint_observed"),
            models.Index(fields=["unit", "observed_at"], name="entry_unit_observed"),
            # Linking an attempt to the last check of the same subject at the
            # same gate in the same direction reads one entry of this index,
            # in its order (observed_at, id); led by the subject, it also
            # serves tracing a person across gates. With (subject,
            # observed_at) alone, a planner without statistics yet (a new
            # or fast-growing table) chose (checkpoint, observed_at) and
            # scanned every recent entry at the gate for each insert.
            models.Index(
                fields=["subject_key", "checkpoint", "direction", "observed_at", "id"],
                name="entry_subject_passage",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.observed_at:%Y-%m-%d %H:%M} {self.decision} #{self.pk}"

    @property
    def reason_list(self) -> tuple[rules.Reason, ...]:
        return rules.reasons_from_bits(self.reasons)

    @property
    def admitted(self) -> bool:
        return self.decision == Decision.ADMIT


class Visit(models.Model):
    """The visitor details of an entry (访客登记): name, phone, ID number,
    reason and the household visited. Numbers are personal data: encrypted,
    with a keyed hash of the ID number and the clear characters of masks."""

    scope_unit_lookup = "entry__unit"

    # The purge deletes visits before their entries.
    entry = models.OneToOneField(
        Entry,
        verbose_name=_("entry"),
        on_delete=models.DO_NOTHING,
        primary_key=True,
        related_name="visit",
    )
    name = models.CharField(_("name"), max_length=100, blank=True)
    phone_encrypted = models.BinaryField(_("phone (encrypted)"), null=True, blank=True)
    phone_prefix = models.CharField(_("phone prefix"), max_length=3, blank=True)
    phone_last4 = models.CharField(_("phone last four"), max_length=4, blank=True)
    id_number_encrypted = models.BinaryField(_("ID number (encrypted)"), null=True, blank=True)
    id_number_hash = models.UUIDField(_("ID number lookup hash"), null=True, blank=True)
    id_number_prefix = models.CharField(_("ID number region prefix"), max_length=6, blank=True)
    id_number_last4 = models.CharField(_("ID number last four"), max_length=4, blank=True)
    reason = models.CharField(_("reason for the visit"), max_length=200, blank=True)
    visiting = models.CharField(_("household visited"), max_length=200, blank=True)
    visiting_household = models.ForeignKey(
        "people.Household",
        verbose_name=_("household visited (registry)"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("visit")
        verbose_name_plural = _("visits")

    def __str__(self) -> str:
        return f"{self.name} → {self.visiting}"

    @property
    def masked_id_number(self) -> str:
        if not self.id_number_last4:
            return ""
        return personal_data.mask_id_number(self.id_number_prefix, self.id_number_last4)

    @property
    def masked_phone(self) -> str:
        return personal_data.mask_phone(self.phone_prefix, self.phone_last4)
