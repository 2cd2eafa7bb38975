"""The administrative tree: 市 → 县/区/功能区 → 乡镇/街道 → 社区/村 → 小区/学校."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from fangkong.core.scoping import ScopedQuerySet
from fangkong.regions import rules


class UnitKind(models.TextChoices):
    CITY = "city", _("city")
    DISTRICT = "district", _("district")
    COUNTY = "county", _("county")
    COUNTY_CITY = "county_city", _("county-level city")
    ZONE = "zone", _("functional zone")
    TOWNSHIP = "township", _("township")
    TOWN = "town", _("town")
    SUBDISTRICT = "subdistrict", _("subdistrict")
    COMMUNITY = "community", _("community")
    VILLAGE = "village", _("village")
    COMPOUND = "compound", _("residential compound")
    SCHOOL = "school", _("school")
    OTHER = "other", _("other")


class UnitQuerySet(ScopedQuerySet["Unit"]):
    def subtree(self, unit: Unit) -> UnitQuerySet:
        """The unit and all units under it: one indexed prefix query."""
        return self.filter(path__startswith=unit.path)

    def ancestors(self, unit: Unit, include_self: bool = True) -> UnitQuerySet:
        """The path above the unit, root first: one query by primary keys."""
        ids = rules.ancestor_ids(unit.path)
        if not include_self:
            ids = ids[:-1]
        return self.filter(pk__in=ids).order_by("depth")


class Unit(models.Model):
    """A node of the administrative tree: a city, county-level unit, township,
    community or village, residential compound, school, or other unit.

    `path` is the materialised path of ancestor ids, ten digits each
    ("0000000001.0000000005.0000000012."), so "all units under X" is one
    prefix query, "the path above X" one query by ids, and ordering by path
    is tree order (siblings in the order they were created), on PostgreSQL
    and SQLite alike. `code` is the official code (GB/T 2260 at
    county level and above, the 12-digit statistical code below) or, for units
    without one, a generated `FK########` code so that imports can name it.
    """

    scope_unit_lookup = ""

    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=20, choices=UnitKind.choices)
    code = models.CharField(_("code"), max_length=32, unique=True)
    has_official_code = models.BooleanField(_("official code"), default=False)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    path = models.CharField(
        _("path"), max_length=rules.MAX_PATH_LENGTH, unique=True, editable=False
    )
    depth = models.PositiveSmallIntegerField(_("depth"), default=0, editable=False)

    objects = UnitQuerySet.as_manager()

    class Meta:
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        ordering = ["path"]
        constraints = [
            models.UniqueConstraint(
                fields=["parent", "name"], name="unit_name_unique_among_siblings"
            ),
            models.UniqueConstraint(
                fields=["name"], condition=Q(parent__isnull=True), name="unit_root_name_unique"
            ),
        ]
        indexes = [
            # LIKE 'prefix%' needs the pattern operator class under a non-C collation.
            models.Index(
                fields=["path"], name="unit_path_prefix", opclasses=["varchar_pattern_ops"]
            ),
            models.Index(fields=["kind", "depth"]),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_county_level(self) -> bool:
        return self.kind in rules.COUNTY_LEVEL

    def full_name(self) -> str:
        return " / ".join(unit.name for unit in Unit.objects.ancestors(self))
