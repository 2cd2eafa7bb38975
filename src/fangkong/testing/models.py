"""Testing rounds, sites, pooled tubes, samples and lab results.

The high-volume tables (samples, tubes, results) carry a time column and a
unit key so they can be partitioned by day and distributed by unit later.
A person's outcome in a round is never stored: it follows from their latest
sample and that tube's result (see rules.outcome_of), so a lab import of a
million tubes writes a million result rows and touches no person row.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fangkong.core.models import TimestampedModel
from fangkong.core.scoping import ScopedQuerySet

POOL_SIZES = (1, 5, 10, 20)
POOL_SIZE_CHOICES = [(size, str(size)) for size in POOL_SIZES]


class Result(models.TextChoices):
    NEGATIVE = "negative", _("negative")
    POSITIVE = "positive", _("positive")
    INVALID = "invalid", _("invalid")


class SampleKind(models.TextChoices):
    FIRST = "first", _("first sample")
    REPEAT = "repeat", _("repeat sample (with a reason)")
    RETEST = "retest", _("single-tube retest of a positive pool")
    RESAMPLE = "resample", _("resample after an invalid tube")


class Round(TimestampedModel):
    """A testing round (一轮全员核酸检测): a name, a time window, the units in
    scope and the default number of swabs per tube. Its expected population
    is every registered resident of those units' subtrees."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    units = models.ManyToManyField(
        "regions.Unit", verbose_name=_("units in scope"), related_name="testing_rounds"
    )
    pool_size = models.PositiveSmallIntegerField(
        _("default pool size"), choices=POOL_SIZE_CHOICES, default=10
    )
    created_by = models.CharField(_("created by"), max_length=150, blank=True)

    class Meta:
        verbose_name = _("testing round")
        verbose_name_plural = _("testing rounds")
        ordering = ["-starts_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="round_window_not_empty"
            ),
            models.CheckConstraint(
                condition=Q(pool_size__in=POOL_SIZES), name="round_pool_size_allowed"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Site(TimestampedModel):
    """A testing point (采样点) of a round, at a unit. A site may use its own
    tube size, e.g. single tubes at a quarantine hotel."""

    scope_unit_lookup = "unit"

    round = models.ForeignKey(
        Round, verbose_name=_("round"), on_delete=models.PROTECT, related_name="sites"
    )
    unit = models.ForeignKey(
        "regions.Unit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField(_("name"), max_length=100)
    pool_size = models.PositiveSmallIntegerField(
        _("pool size"),
        choices=POOL_SIZE_CHOICES,
        null=True,
        blank=True,
        help_text=_("Empty: the round's default."),
    )

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("testing site")
        verbose_name_plural = _("testing sites")
        ordering = ["round", "name"]
        constraints = [
            models.UniqueConstraint(fields=["round", "name"], name="site_name_unique_in_round")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def tube_size(self) -> int:
        return self.pool_size or self.round.pool_size


class Tube(models.Model):
    """A sampling tube (采样管) of a round, by its barcode: pooled (5, 10 or 20
    swabs) or single (one person). `sample_count` is kept with the samples in
    the same transaction, under a row lock, and a check constraint forbids it
    to pass the capacity: two samplers adding the last place at once cannot
    make 11 in a 10-tube."""

    scope_unit_lookup = "unit"

    round = models.ForeignKey(
        Round,
        verbose_name=_("round"),
        on_delete=models.PROTECT,
        related_name="tubes",
        # Covered by the (round, barcode) unique index.
        db_index=False,
    )
    site = models.ForeignKey(
        Site, verbose_name=_("site"), on_delete=models.PROTECT, related_name="tubes"
    )
    # The site's unit, kept on the row for scoping and future distribution by unit.
    unit = models.ForeignKey(
        "regions.Unit",
        verbose_name=_("unit"),
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    barcode = models.CharField(_("barcode"), max_length=64)
    capacity = models.PositiveSmallIntegerField(_("capacity"), choices=POOL_SIZE_CHOICES)
    sample_count = models.PositiveSmallIntegerField(_("samples"), default=0)
    opened_at = models.DateTimeField(_("opened at"), default=timezone.now)
    opened_by = models.CharField(_("opened by"), max_length=150, blank=True)
    sealed_at = models.DateTimeField(_("sealed at"), null=True, blank=True)
    received_at = models.DateTimeField(_("received at the lab"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("tube")
        verbose_name_plural = _("tubes")
        ordering = ["round", "barcode"]
        constraints = [
            models.UniqueConstraint(
                fields=["round", "barcode"], name="tube_barcode_unique_in_round"
            ),
            models.CheckConstraint(
                condition=Q(sample_count__lte=F("capacity")), name="tube_within_capacity"
            ),
        ]

    def __str__(self) -> str:
        return self.barcode

    @property
    def is_single(self) -> bool:
        return self.capacity == 1

    @property
    def is_sealed(self) -> bool:
        return self.sealed_at is not None


class Sample(models.Model):
    """One person's swab in a tube. A second sample of a person in the same
    round needs a reason (or is a retest or resample); the newest one is
    marked `is_latest`, and a partial unique index keeps one such per person
    and round, which also stops two samplers recording a first sample of the
    same person at once. `client_uuid` makes a device's retries safe."""

    scope_unit_lookup = "unit"

    client_uuid = models.UUIDField(_("client UUID"), unique=True, default=uuid.uuid4)
    round = models.ForeignKey(
        Round,
        verbose_name=_("round"),
        on_delete=models.PROTECT,
        related_name="samples",
        # Covered by the (round, person) index.
        db_index=False,
    )
    site = models.ForeignKey(
        Site,
        verbose_name=_("site"),
        on_delete=models.PROTECT,
        related_name="samples",
        db_index=False,
    )
    tube = models.ForeignKey(
        Tube, verbose_name=_("tube"), on_delete=models.PROTECT, related_name="samples"
    )
    person = models.ForeignKey(
        "people.Person",
        verbose_name=_("person"),
        on_delete=models.PROTECT,
        related_name="test_samples",
    )
    # The site's unit: where the swab was taken (the person's home may differ).
    unit = models.ForeignKey(
        "regions.Unit",
        verbose_name=_("unit"),
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    collected_at = models.DateTimeField(_("collected at"))
    collected_by = models.CharField(_("collected by"), max_length=150, blank=True)
    kind = models.CharField(
        _("kind"), max_length=8, choices=SampleKind.choices, default=SampleKind.FIRST
    )
    reason = models.CharField(_("reason for another sample"), max_length=200, blank=True)
    is_latest = models.BooleanField(_("latest in the round"), default=True)
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("sample")
        verbose_name_plural = _("samples")
        ordering = ["collected_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["round", "person"],
                condition=Q(is_latest=True),
                name="one_latest_sample_per_person_in_round",
            )
        ]
        indexes = [models.Index(fields=["site", "collected_at"], name="sample_site_time")]

    def __str__(self) -> str:
        return f"{self.tube_id}:{self.person_id}"


class LabResult(models.Model):
    """A tube's lab result (检测结果): negative, positive or invalid, with the
    CT value when the lab gives one. One per tube, never overwritten: a
    second, different result is refused as a conflict. A negative pool makes
    its people negative; a positive pool sends them to a single-tube retest;
    an invalid tube sends them to be swabbed again."""

    tube = models.OneToOneField(
        Tube,
        verbose_name=_("tube"),
        on_delete=models.PROTECT,
        primary_key=True,
        related_name="lab_result",
    )
    result = models.CharField(_("result"), max_length=8, choices=Result.choices)
    ct_value = models.DecimalField(
        _("CT value"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    reported_at = models.DateTimeField(_("reported at"))
    lab = models.CharField(_("lab"), max_length=100)
    recorded_by = models.CharField(_("recorded by"), max_length=150, blank=True)
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    class Meta:
        verbose_name = _("lab result")
        verbose_name_plural = _("lab results")
        ordering = ["tube"]

    def __str__(self) -> str:
        return f"{self.tube_id} {self.result}"
