"""The entry endpoints' answers are written by hand as dicts (a batch
answers 500 entries, and building models for them costs the gate), so these
tests hold every shape of answer to the schema the OpenAPI document
publishes, and the request schema to the service's input."""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import json
import uuid
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from fangkong.checkpoints.api import BatchOut, EntryIn, EntryOut
from fangkong.checkpoints.observations import EntryInput, VisitorInput

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
