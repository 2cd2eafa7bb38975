"""The entry endpoints' answers are written by hand as dicts (a batch
answers 500 entries, and building models for them costs the gate), so these
tests hold every shape of answer to the schema the OpenAPI document
publishes, and the request schema to the service's input. Also what a device
reads: the policy it decides by offline, and the list of residents a
face-recognition gate's vendor enrols, which carries no biometric data, as
the platform keeps none."""

from __future__ import annotations

import csv
import dataclasses
import datetime
import decimal
import io
import json
import uuid
from pathlib import Path
from typing import Any

from django.apps import apps
from django.db import models
from pydantic import BaseModel

from fangkong.checkpoints.api import BatchOut, EntryIn, EntryOut
from fangkong.checkpoints.models import Visit
from fangkong.checkpoints.observations import EntryInput, VisitorInput
from fangkong.core import personal_data
from fangkong.core.models import AuditEvent
from fangkong.core.testing import SYSTEM, make_person, valid_id_number

from .support import body, minutes_ago, post

OPENAPI = Path(__file__).resolve().parents[4] / "docs" / "openapi.json"


def assert_follows(schema: type[BaseModel], answer: dict[str, Any]) -> None:
    """The answer is exactly what the schema dumps: no field missing,
    extra, renamed or of another type."""
    assert schema.model_validate(answer).model_dump(mode="json") == answer


def upload(client, checkpoint, entries):
    return client.post(
        f"/api/v1/checkpoints/{checkpoint.pk}/entries/batch",
        {"entries": entries},
        content_type="application/json",
    )


def test_it_answers_single_entries_as_the_schema_says(scanner_client, north_gate, resident_code):
    admitted = body(code=resident_code, observed_at=minutes_ago(20))
    denied = body(code=resident_code, mask=False, health_code="yellow", temperature=38.0)
    for data, status in ((admitted, 201), (denied, 201), (admitted, 200)):
        response = post(scanner_client, north_gate, data)
        assert response.status_code == status
        assert_follows(EntryOut, response.json())
    assert response.json()["replayed"] is True
    assert post(scanner_client, north_gate, denied).json()["messages"] != []


def test_it_answers_every_kind_of_batch_item_as_the_schema_says(
    scanner_client, north_gate, resident_code
):
    stored = body(code=resident_code, observed_at=minutes_ago(40))
    upload(scanner_client, north_gate, [stored])
    reused = body(code=resident_code, observed_at=minutes_ago(10))
    entries = [
        body(code=resident_code, mask=False, observed_at=minutes_ago(30)),
        body(code=resident_code, observed_at=minutes_ago(29)),
        stored,
        {**stored, "mask": False},
        {"mask": True},
        body(code=resident_code, temperature=45.0),
        "not an object",
        reused,
        reused,
        body(
            visitor={
                "name": "王芳",
                "phone": "13800138000",
                "id_number": "",
                "reason": "探亲",
                "visiting": "1号楼101",
            }
        ),
    ]
    response = upload(scanner_client, north_gate, entries)
    assert response.status_code == 200
    answer = response.json()
    assert_follows(BatchOut, answer)
    assert [item["status"] for item in answer["results"]] == [
        201, 201, 200, 409, 422, 422, 422, 201, 200, 201,
    ]  # fmt: skip
    assert [item["index"] for item in answer["results"]] == list(range(len(entries)))
    assert answer["results"][1]["result"]["attempt"] == 2
    assert answer["results"][4]["client_uuid"] is None
    assert answer["results"][6]["client_uuid"] is None
    assert answer["results"][7]["client_uuid"] == reused["client_uuid"]


def test_it_publishes_the_batch_item_as_an_entry():
    document = json.loads(OPENAPI.read_text())
    schemas = document["components"]["schemas"]
    items = schemas["BatchIn"]["properties"]["entries"]["items"]
    # An entry, or anything else (rejected in its own result).
    assert items == {"anyOf": [{"$ref": "#/components/schemas/EntryIn"}, {}]}
    assert set(schemas["EntryIn"]["properties"]) == set(EntryIn.model_fields)


def test_it_hands_every_request_field_to_the_service():
    assert set(EntryIn.model_fields) == {field.name for field in dataclasses.fields(EntryInput)}
    visitor = {"name": "王芳", "phone": "13800138000", "reason": "探亲", "visiting": "1号楼101"}
    request = EntryIn.model_validate(
        {
            "client_uuid": str(uuid.uuid4()),
            "visitor": visitor,
            "mask": False,
            "temperature": "36.8",
            "health_code": "yellow",
            "itinerary_star": True,
            "direction": "out",
            "observed_at": "2026-11-30T08:00:00+08:00",
            "method": "face_gate",
        }
    )
    given = request.to_input()
    assert given == EntryInput(
        client_uuid=request.client_uuid,
        observed_at=datetime.datetime(
            2026, 11, 30, 8, tzinfo=datetime.timezone(datetime.timedelta(hours=8))
        ),
        mask=False,
        health_code="yellow",
        temperature=decimal.Decimal("36.8"),
        itinerary_star=True,
        direction="out",
        visitor=VisitorInput(id_number="", **visitor),
        method="face_gate",
    )


def test_it_gives_devices_the_default_policy(scanner_client, north_gate, city):
    response = scanner_client.get(f"/api/v1/checkpoints/{north_gate.pk}/policy")
    assert response.status_code == 200
    assert response.json() == {
        "checkpoint_id": north_gate.pk,
        "name": "北门",
        "unit_code": city.shenghe.code,
        "is_active": True,
        "fever_threshold": "37.3",
        "mask_required": True,
        "admitted_health_codes": ["green"],
        "star_action": "deny",
        "negative_test_required": False,
        "negative_test_hours": 48,
        "denied_statuses": ["home_quarantine", "central_quarantine", "close_contact", "positive"],
        "plausible_temperature": ["34.0", "43.0"],
        "retention_days": 28,
        "clock_skew_seconds": 300,
    }


def test_it_gives_devices_a_changed_policy(scanner_client, north_gate, settings):
    from fangkong.checkpoints import queries, services

    settings.ENTRY_RETENTION_DAYS = 14
    services.update_checkpoint(
        SYSTEM,
        north_gate,
        fever_threshold="37.5",
        admitted_health_codes=["yellow", "green"],
        star_action="flag",
        negative_test_required=True,
        negative_test_hours=24,
        denied_statuses=["positive"],
    )
    queries.forget_checkpoints()
    policy = scanner_client.get(f"/api/v1/checkpoints/{north_gate.pk}/policy").json()
    assert policy["fever_threshold"] == "37.5"
    assert policy["admitted_health_codes"] == ["green", "yellow"]
    assert policy["star_action"] == "flag"
    assert (policy["negative_test_required"], policy["negative_test_hours"]) == (True, 24)
    assert policy["denied_statuses"] == ["positive"]
    assert policy["retention_days"] == 14


ALLOWED_COLUMNS = ["person_id", "name", "household", "id_number_masked", "unit_code"]


def test_it_exports_the_residents_allowed_in_to_a_device_of_the_unit(
    scanner, scanner_client, village_scanner_client, north_gate, resident, villager, city
):
    from fangkong.people.services import set_person_status

    quarantined = make_person(city.shenghe, "隔离者")
    set_person_status(SYSTEM, quarantined, "home_quarantine")
    response = scanner_client.get(f"/api/v1/checkpoints/{north_gate.pk}/allowed-residents")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    text = response.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    # Who is let in and how to tell them apart; no photo, face or feature data.
    assert rows[0] == ALLOWED_COLUMNS
    assert rows[1:] == [
        [str(resident.pk), "张立新", "1号楼1单元01室", resident.masked_id_number, city.shenghe.code]
    ]
    assert "*" * 8 in resident.masked_id_number
    # Neither the people left out nor anyone's full ID number.
    assert "隔离者" not in text and "张战国" not in text
    for person in (resident, quarantined):
        assert personal_data.decrypt(person.id_number_encrypted) not in text
    event = AuditEvent.objects.get(action="checkpoints.export_allowed_residents")
    assert event.actor_label == f"device:{scanner[0].name}#{scanner[0].pk}"
    assert event.object_id == str(north_gate.pk)
    assert event.detail == {"rows": 1}

    # A device of another unit learns nothing, not even that the gate exists.
    other = village_scanner_client.get(f"/api/v1/checkpoints/{north_gate.pk}/allowed-residents")
    assert other.status_code == 404
    assert AuditEvent.objects.filter(action="checkpoints.export_allowed_residents").count() == 1


# The only fields of the platform that hold bytes: personal numbers,
# encrypted. Neither images nor biometric templates have a place to go.
ENCRYPTED_NUMBERS = {
    ("people.Person", "id_number_encrypted"),
    ("people.Person", "phone_encrypted"),
    ("checkpoints.Visit", "id_number_encrypted"),
    ("checkpoints.Visit", "phone_encrypted"),
}
BIOMETRIC_WORDS = ("photo", "image", "picture", "face", "portrait", "avatar", "biometric",
                   "finger", "iris", "feature", "template", "embedding")  # fmt: skip


def test_it_has_no_field_for_images_or_biometric_data():
    fields = [
        (model._meta.label, field)
        for model in apps.get_models()
        for field in model._meta.get_fields()
    ]
    holding_bytes = {
        (label, field.name)
        for label, field in fields
        if isinstance(field, (models.FileField, models.BinaryField))
    }
    assert holding_bytes == ENCRYPTED_NUMBERS
    named = [
        f"{label}.{field.name}"
        for label, field in fields
        if any(word in field.name.lower() for word in BIOMETRIC_WORDS)
    ]
    assert named == []


def test_it_keeps_the_byte_fields_encrypted(scanner_client, north_gate, resident):
    number = personal_data.decrypt(resident.id_number_encrypted)
    assert number.encode() not in bytes(resident.id_number_encrypted)
    assert personal_data.decrypt(resident.phone_encrypted) == "13812345678"
    assert b"13812345678" not in bytes(resident.phone_encrypted)
    id_number = valid_id_number()
    visitor = {
        "name": "王芳",
        "phone": "13800138000",
        "id_number": id_number,
        "reason": "探亲",
        "visiting": "1号楼101",
    }
    assert post(scanner_client, north_gate, body(visitor=visitor)).status_code == 201
    visit = Visit.objects.get()
    assert personal_data.decrypt(visit.phone_encrypted) == "13800138000"
    assert personal_data.decrypt(visit.id_number_encrypted) == id_number
    assert b"13800138000" not in bytes(visit.phone_encrypted)
    assert id_number.encode() not in bytes(visit.id_number_encrypted)
