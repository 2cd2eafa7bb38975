"""What this app offers other apps through discovery
(`fangkong.core.discovery.app_modules("providers")`)."""

from __future__ import annotations

import datetime

from django.db.models import Max

from fangkong.testing.models import Result, Sample


def latest_negative_test_at(person_id: int) -> datetime.datetime | None:
    """When the person's latest negative sample was collected (a negative
    pool or a negative single tube, in any round), or None. Checkpoints use
    it for "a negative result within N hours"."""
    return Sample.objects.filter(
        person_id=person_id, tube__lab_result__result=Result.NEGATIVE
    ).aggregate(latest=Max("collected_at"))["latest"]
