"""Persons, households and epidemiological status history."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fangkong.core import personal_data
from fangkong.core.models import TimestampedModel
from fangkong.core.scoping import ScopedQuerySet


class Status(models.TextChoices):
    NORMAL = "normal", _("normal")
    HOME_QUARANTINE = "home_quarantine", _("home quarantine")
    CENTRAL_QUARANTINE = "central_quarantine", _("centralised quarantine")
    HEALTH_MONITORING = "health_monitoring", _("health monitoring")
    CLOSE_CONTACT = "close_contact", _("close contact")
    PENDING_RETEST = "pending_retest", _("pending single-tube retest")
    POSITIVE = "positive", _("positive")
    RECOVERED = "recovered", _("recovered")


class Sex(models.TextChoices):
    MALE = "M", _("male")
    FEMALE = "F", _("female")


class Household(TimestampedModel):
    """A household (户) in a compound or village, named by its number (户号)
    or its address, unique within the unit."""

    scope_unit_lookup = "unit"

    # Indexed by the unique (unit, label) constraint, which leads with it. A
    # separate unit index would tempt the planner into scanning a unit's
    # households when looking one up by label during an import.
    unit = models.ForeignKey(
        "regions.Unit",
        verbose_name=_("unit"),
        on_delete=models.PROTECT,
        related_name="households",
        db_index=False,
    )
    label = models.CharField(_("household number or address"), max_length=200)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("household")
        verbose_name_plural = _("households")
        ordering = ["unit", "label"]
        constraints = [
            models.UniqueConstraint(fields=["unit", "label"], name="household_label_unique_in_unit")
        ]

    def __str__(self) -> str:
        return self.label


class PersonQuerySet(ScopedQuerySet["Person"]):
    def with_id_number(self, id_number: str) -> PersonQuerySet:
        """Exact lookup by a full, normalised ID number through the keyed hash."""
        return self.filter(id_number_hash=personal_data.id_number_hash(id_number))

    def with_phone(self, phone: str) -> PersonQuerySet:
        return self.filter(phone_hash=personal_data.phone_hash(phone))


class Person(TimestampedModel):
    """A resident (or a non-resident who appears in records, such as a dose
    given to a visitor). ID and phone numbers are personal data: stored
    encrypted, found through a keyed hash, shown masked from the few clear
    characters kept beside them. Sex and birth date come from the ID number.
    """

    scope_unit_lookup = "home_unit"

    name = models.CharField(_("name"), max_length=100)
    id_number_encrypted = models.BinaryField(_("ID number (encrypted)"))
    id_number_hash = models.UUIDField(_("ID number lookup hash"), unique=True)
    id_number_prefix = models.CharField(_("ID number region prefix"), max_length=6)
    id_number_last4 = models.CharField(_("ID number last four"), max_length=4)
    phone_encrypted = models.BinaryField(_("phone (encrypted)"), null=True, blank=True)
    phone_hash = models.UUIDField(_("phone lookup hash"), null=True, blank=True)
    phone_prefix = models.CharField(_("phone prefix"), max_length=3, blank=True, default="")
    phone_last4 = models.CharField(_("phone last four"), max_length=4, blank=True, default="")
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices)
    birth_date = models.DateField(_("birth date"), db_index=True)
    home_unit = models.ForeignKey(
        "regions.Unit",
        verbose_name=_("home unit"),
        on_delete=models.PROTECT,
        related_name="residents",
    )
    household = models.ForeignKey(
        Household,
        verbose_name=_("household"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="members",
    )
    has_smartphone = models.BooleanField(_("has a smartphone"), default=True)
    is_resident = models.BooleanField(
        _("registered resident"),
        default=True,
        help_text=_("False for people known only from another record, such as a dose given here."),
    )
    status = models.CharField(
        _("status"), max_length=24, choices=Status.choices, default=Status.NORMAL
    )
    status_since = models.DateTimeField(_("status since"), default=timezone.now)

    objects = PersonQuerySet.as_manager()

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("persons")
        ordering = ["home_unit", "name", "id"]
        indexes = [
            models.Index(fields=["home_unit", "id_number_last4"], name="person_unit_last4"),
            models.Index(fields=["home_unit", "name"], name="person_unit_name"),
            # Index only the rows that can match: people with a phone, and people
            # whose status is not normal (a small minority a gate must find fast).
            models.Index(
                fields=["phone_hash"],
                name="person_phone_hash",
                condition=models.Q(phone_hash__isnull=False),
            ),
            models.Index(
                fields=["status"],
                name="person_restricted_status",
                condition=~models.Q(status="normal"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.masked_id_number}"

    @property
    def masked_id_number(self) -> str:
        return personal_data.mask_id_number(self.id_number_prefix, self.id_number_last4)

    @property
    def masked_phone(self) -> str:
        return personal_data.mask_phone(self.phone_prefix, self.phone_last4)

    def age_on(self, day) -> int:
        years = day.year - self.birth_date.year
        return years - ((day.month, day.day) < (self.birth_date.month, self.birth_date.day))


class StatusPeriod(models.Model):
    """One period of a person's epidemiological status, from start to end
    (open while current). The person's `status` mirrors the open period."""

    person = models.ForeignKey(
        Person, verbose_name=_("person"), on_delete=models.CASCADE, related_name="status_periods"
    )
    status = models.CharField(_("status"), max_length=24, choices=Status.choices)
    started_at = models.DateTimeField(_("started at"))
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    recorded_by = models.CharField(_("recorded by"), max_length=150, blank=True)

    class Meta:
        verbose_name = _("status period")
        verbose_name_plural = _("status periods")
        ordering = ["person", "-started_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["person"],
                condition=models.Q(ended_at__isnull=True),
                name="one_open_status_period_per_person",
            )
        ]

    def __str__(self) -> str:
        return f"{self.person_id} {self.status} {self.started_at:%Y-%m-%d}"
