"""What this app offers other apps through discovery
(`fangkong.core.discovery.app_modules("providers")`)."""

from __future__ import annotations

import datetime
from collections.abc import Collection

from django.db.models import Max

from fangkong.testing.models import Result, Sample


def latest_negative_tests_at(person_ids: Collection[int]) -> dict[int, datetime.datetime]:
    """When each person's latest negative sample was collected (a negative
    pool or a negative single tube, in any round); people without one are
    left out. Checkpoints use it for "a negative result within N hours",
    for a whole batch of entries in one query."""
    if not person_ids:
        return {}
    rows = (
        Sample.objects.filter(person_id__in=person_ids, tube__lab_result__result=Result.NEGATIVE)
        .values("person_id")
        .annotate(latest=Max("collected_at"))
        .order_by()
    )
    return {row["person_id"]: row["latest"] for row in rows}
