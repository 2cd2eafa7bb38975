"""The demo city's gates: the source page's checkpoints with their staff,
and the evening of 9 August 2021 with 张立新 refused, then admitted."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.management import call_command

from fangkong.checkpoints import queries
from fangkong.checkpoints.models import Checkpoint, Entry


@pytest.mark.django_db
def test_it_builds_the_demo_gates_and_evenings():
    call_command("demo", "--people", "400", "--password", "demo-2021-pass", stdout=io.StringIO())
    gates = {f"{c.unit.name}{c.name}": c for c in Checkpoint.objects.select_related("unit")}
    assert set(gates) == {
        "盛和家园北门",
        "盛和家园南门",
        "书香门第正门",
        "张埠口村村口",
        "城南实验学校校门",
    }
    for name in ("盛和家园北门", "盛和家园南门"):
        assert [u.username for u in gates[name].staff.all()] == ["gate_shenghe"]
    assert all(gate.staff.exists() for gate in gates.values())
    seven_pm = datetime.datetime(
        2021, 8, 9, 19, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=8))
    )
    refused, admitted = Entry.objects.filter(
        person__name="张立新",
        observed_at__gte=seven_pm,
        observed_at__lt=seven_pm + datetime.timedelta(minutes=2),
    ).order_by("observed_at")
    assert (refused.decision, refused.reason_list[0].slug) == ("deny", "no_mask")
    assert (admitted.decision, admitted.attempt) == ("admit", 2)
    assert admitted.previous_attempt_id == refused.pk
    assert admitted.operator.display_name == "张书轩"
    figures = queries.checkpoint_figures(gates["盛和家园北门"], datetime.date(2021, 8, 9))
    assert figures.denied_then_admitted >= 1
    assert Entry.objects.filter(method="face_gate").exists()
    assert Entry.objects.filter(checkpoint=gates["城南实验学校校门"]).exists()
