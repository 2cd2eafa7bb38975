"""A scanned pass code meets every state its holder can be in, and the single
entry decides as the batch does. On PostgreSQL a single entry reads the
holder and inserts in one statement, falling back to reading first when the
holder is not as assumed; the batch always reads first. Both must give the
same decision, reasons and "who" (on SQLite both read first)."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from fangkong.checkpoints import services
from fangkong.checkpoints.models import Entry, PassCode
from fangkong.core.testing import SYSTEM
from fangkong.people.models import Person
from fangkong.people.services import set_person_status

from .support import body, post

pytestmark = pytest.mark.usefixtures("english")


def upload(client, checkpoint, data):
    answer = client.post(
        f"/api/v1/checkpoints/{checkpoint.pk}/entries/batch",
        {"entries": [data]},
        content_type="application/json",
    ).json()
    return answer["results"][0]["result"]


def single_and_batch(client, checkpoint, **changes):
    single = post(client, checkpoint, body(**changes))
    assert single.status_code == 201, single.json()
    batched = upload(client, checkpoint, body(**changes))
    return single.json(), batched


def same_outcome(single, batched):
    fields = ("decision", "reasons", "follow_up", "who")
    return {name: single[name] for name in fields} == {name: batched[name] for name in fields}


def test_it_admits_a_current_code_of_a_resident_in_good_standing(
    scanner_client, north_gate, resident, resident_code
):
    single, batched = single_and_batch(scanner_client, north_gate, code=resident_code)
    assert single["decision"] == "admit"
    assert single["who"] == f"{resident.name} {resident.masked_id_number}"
    assert same_outcome(single, batched)
    assert Entry.objects.filter(person=resident).count() == 2


@pytest.mark.parametrize(
    ("status", "reasons"),
    [("close_contact", ["close_contact"]), ("positive", ["positive"]), ("health_monitoring", [])],
)
def test_it_applies_the_holder_s_status(
    scanner_client, north_gate, resident, resident_code, status, reasons
):
    set_person_status(SYSTEM, resident, status)
    single, batched = single_and_batch(scanner_client, north_gate, code=resident_code)
    assert single["reasons"] == reasons
    assert single["decision"] == ("deny" if reasons else "admit")
    assert same_outcome(single, batched)


def test_it_denies_a_code_replaced_by_a_reissue_and_still_says_whose(
    scanner_client, north_gate, resident, resident_code
):
    services.issue_pass_code(SYSTEM, resident, reissue=True)
    single, batched = single_and_batch(scanner_client, north_gate, code=resident_code)
    assert single["reasons"] == ["code_revoked"]
    assert single["who"] == f"{resident.name} {resident.masked_id_number}"
    assert same_outcome(single, batched)
    assert Entry.objects.filter(person=resident, decision="deny").count() == 2


def test_it_denies_a_code_whose_holder_has_no_pass_code_any_more(
    scanner_client, north_gate, resident, resident_code
):
    PassCode.objects.filter(person=resident).delete()
    single, batched = single_and_batch(scanner_client, north_gate, code=resident_code)
    assert single["reasons"] == ["code_invalid"]
    assert single["who"] == ""
    assert same_outcome(single, batched)


def test_it_denies_a_tampered_code(scanner_client, north_gate, resident_code):
    tampered = resident_code[:-2] + ("A" if resident_code[-2] != "A" else "B") + resident_code[-1]
    single, batched = single_and_batch(scanner_client, north_gate, code=tampered)
    assert single["reasons"] == ["code_invalid"]
    assert same_outcome(single, batched)


def test_it_takes_the_status_of_the_observed_moment_when_it_changed_since(
    scanner_client, north_gate, resident, resident_code
):
    """A late upload observed before the holder became a close contact."""
    now = timezone.now()
    Person.objects.filter(pk=resident.pk).update(status_since=now - datetime.timedelta(days=9))
    resident.refresh_from_db()
    set_person_status(SYSTEM, resident, "close_contact", at=now - datetime.timedelta(hours=1))
    earlier = (now - datetime.timedelta(hours=3)).isoformat()
    single, batched = single_and_batch(
        scanner_client, north_gate, code=resident_code, observed_at=earlier
    )
    assert single["decision"] == "admit"
    assert same_outcome(single, batched)
    now_single = post(scanner_client, north_gate, body(code=resident_code)).json()
    assert now_single["reasons"] == ["close_contact"]


def test_it_links_the_retry_after_a_denial_whichever_way_the_holder_was_read(
    scanner_client, north_gate, resident, resident_code
):
    services.issue_pass_code(SYSTEM, resident, reissue=True)
    denied = post(scanner_client, north_gate, body(code=resident_code)).json()
    current = services.code_for(PassCode.objects.get(person=resident))
    admitted = post(scanner_client, north_gate, body(code=current)).json()
    assert (denied["decision"], admitted["decision"], admitted["attempt"]) == ("deny", "admit", 2)
    assert Entry.objects.get(pk=admitted["entry_id"]).previous_attempt_id == denied["entry_id"]
