"""Issuing: a preview becomes an immutable snapshot."""

from __future__ import annotations

import uuid

import pytest

from fangkong.bulletins import queries
from fangkong.bulletins.models import IssuedBulletin, SnapshotChangeError
from fangkong.bulletins.services import issue_bulletin
from fangkong.bulletins.tests.conftest import CUTOFF, at, give
from fangkong.core.audit import Actor
from fangkong.core.models import AuditEvent
from fangkong.core.testing import make_user

pytestmark = pytest.mark.django_db


def figures(table):
    return {row["name"]: (row["first_dose_rate"], row["first_doses_day"]) for row in table.rows}


def test_it_keeps_the_issued_figures_when_a_late_dose_arrives(zones):
    commander = make_user("commander", "commander", zones.city, display_name="指挥部值班员")
    give(zones.shifan, at("2021-08-12 10:00"), count=10)
    bulletin = issue_bulletin(
        Actor.for_user(commander), "vaccination", as_of=CUTOFF, under=zones.city
    )
    issued_before = queries.issued_table(bulletin).as_dict()
    # A dose given at 17:30 but entered after the bulletin was issued.
    give(zones.shifan, at("2021-08-12 17:30"), count=5)

    preview = queries.preview("vaccination", as_of=CUTOFF, under=zones.city)
    assert figures(preview)["示范区"] == ("15.00", 15)
    reread = queries.issued_table(IssuedBulletin.objects.get(pk=bulletin.pk))
    assert figures(reread)["示范区"] == ("10.00", 10)
    assert reread.as_dict() == issued_before
    assert reread.issued["by"] == "指挥部值班员"
    assert reread.issued["id"] == bulletin.pk


def test_it_refuses_to_change_or_delete_an_issued_bulletin(zones):
    bulletin = issue_bulletin(Actor.system("test"), "vaccination", as_of=CUTOFF, under=zones.city)
    bulletin.title = "改过的标题"
    with pytest.raises(SnapshotChangeError):
        bulletin.save()
    with pytest.raises(SnapshotChangeError):
        IssuedBulletin.objects.filter(pk=bulletin.pk).update(title="改过的标题")
    with pytest.raises(SnapshotChangeError):
        bulletin.delete()
    with pytest.raises(SnapshotChangeError):
        IssuedBulletin.objects.all().delete()
    assert IssuedBulletin.objects.get(pk=bulletin.pk).title == "周口市新冠病毒疫苗接种进度通报"


def test_it_issues_once_for_a_repeated_key_and_audits_it(zones):
    key = uuid.uuid4()
    first = issue_bulletin(
        Actor.system("test"), "vaccination", as_of=CUTOFF, under=zones.city, client_uuid=key
    )
    again = issue_bulletin(
        Actor.system("test"), "vaccination", as_of=CUTOFF, under=zones.city, client_uuid=key
    )
    assert first.pk == again.pk
    assert IssuedBulletin.objects.count() == 1
    event = AuditEvent.objects.get(action="bulletins.issue")
    assert event.object_id == str(first.pk)
    assert event.detail["as_of"] == "2021-08-12T18:00:00+08:00"


def test_it_lists_issued_bulletins_within_the_scope(zones):
    issue_bulletin(Actor.system("test"), "vaccination", as_of=CUTOFF, under=zones.city)
    issue_bulletin(Actor.system("test"), "vaccination", as_of=CUTOFF, under=zones.shifan)
    admin = make_user("admin_chuanhui", "unit_admin", zones.chuanhui)
    shifan_admin = make_user("admin_shifan", "unit_admin", zones.shifan)
    assert list(queries.issued_for_scope(admin.scope_for("bulletins.view"))) == []
    assert [
        b.unit.name for b in queries.issued_for_scope(shifan_admin.scope_for("bulletins.view"))
    ] == ["示范区"]
