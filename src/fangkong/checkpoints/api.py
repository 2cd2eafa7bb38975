"""The device API under /api/v1/checkpoints/: entries (single and batch),
the policy, the gate's archive, figures, the pass-code public key and the
reissued versions, and the export of residents for face-recognition gates.

Devices authenticate with `Authorization: Bearer fkd_…` and act within
their unit's subtree; logged-in staff use their session (gate staff only at
the checkpoints they are bound to)."""

from __future__ import annotations

import base64
import datetime
import io
import uuid
from decimal import Decimal
from typing import Annotated, Any, Literal

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from pydantic import BaseModel, ConfigDict, ValidationError

from fangkong.accounts.auth import caller
from fangkong.checkpoints import passcodes, queries, rules, services
from fangkong.checkpoints.auth import CHECKPOINT_AUTH
from fangkong.checkpoints.models import Checkpoint
from fangkong.checkpoints.registration import MAX_BATCH, EntryInput, EntryResult, VisitorInput
from fangkong.core.errors import FieldError
from fangkong.core.exports import download
from fangkong.core.schemas import ErrorOut, json_answer

router = Router(tags=["checkpoints"], auth=CHECKPOINT_AUTH)


class StrictBody(BaseModel):
    """A request body, as strict as core.schemas.StrictSchema (an unknown or
    misspelt field is an error naming it) but without ninja's ORM getter,
    which validates every body twice: the gate's hot path and batches of
    500 entries feel that."""

    model_config = ConfigDict(extra="forbid")


class VisitorIn(StrictBody):
    name: str = Field("", max_length=100)
    phone: str = Field("", max_length=20)
    id_number: str = Field("", max_length=30)
    reason: str = Field("", max_length=200)
    visiting: str = Field("", max_length=200, description="the household visited")


class EntryIn(StrictBody):
    client_uuid: uuid.UUID = Field(description="idempotency key chosen by the device")
    code: str | None = Field(None, max_length=200, description="a scanned pass code")
    id_number: str | None = Field(None, max_length=30, description="a typed or read ID number")
    person_id: int | None = Field(None, description="a person picked from the gate's archive")
    visitor: VisitorIn | None = None
    mask: bool
    temperature: Decimal | None = Field(
        None, description="°C; required coming in; outside 34.0–43.0 is a measuring error"
    )
    health_code: Literal["green", "yellow", "red", "none"]
    itinerary_star: bool = False
    direction: Literal["in", "out"] = "in"
    observed_at: datetime.datetime = Field(description="the moment on the device, with offset")
    method: Literal["device", "face_gate"] = Field(
        "device", description="face_gate for face-recognition gates"
    )

    def to_input(self) -> EntryInput:
        # The fields are EntryInput's, name for name (test_api_contract).
        values = dict(self.__dict__)
        if self.visitor is not None:
            values["visitor"] = VisitorInput(**self.visitor.__dict__)
        return EntryInput(**values)


class EntryOut(BaseModel):
    entry_id: int
    decision: Literal["admit", "deny"]
    reasons: list[str] = Field(description="machine names of every reason to deny")
    messages: list[str] = Field(description="the reasons in words, in the request's language")
    follow_up: bool = Field(description="admitted but flagged (an itinerary star)")
    attempt: int = Field(description="2 for the second attempt after a denial, …")
    who: str = Field(description="name and masked ID number, to confirm at the gate")
    replayed: bool = Field(description="true when this client_uuid was registered before")


# A batch item is an entry; anything else is rejected in its own result
# (422 naming the field), not with the whole batch.
BatchItemIn = Annotated[EntryIn | Any, Field(union_mode="left_to_right")]


class BatchIn(StrictBody):
    entries: list[BatchItemIn] = Field(
        max_length=MAX_BATCH,
        description="entries as in POST …/entries; a bad one is rejected in its own result",
    )


class ItemError(BaseModel):
    field: str
    msg: str


class BatchItemOut(BaseModel):
    index: int
    status: int = Field(description="201 created, 200 seen before, 409 conflict, 422 rejected")
    client_uuid: str | None = None
    result: EntryOut | None = None
    error: ItemError | None = None


class BatchOut(BaseModel):
    created: int
    replayed: int
    rejected: int
    results: list[BatchItemOut]


class PolicyOut(Schema):
    checkpoint_id: int
    name: str
    unit_code: str
    is_active: bool
    fever_threshold: Decimal
    mask_required: bool
    admitted_health_codes: list[str]
    star_action: str
    negative_test_required: bool
    negative_test_hours: int
    denied_statuses: list[str]
    plausible_temperature: tuple[Decimal, Decimal]
    retention_days: int
    clock_skew_seconds: int


class PublicKeyOut(Schema):
    algorithm: str
    public_key: str = Field(description="raw 32-byte Ed25519 public key, base64")
    signing_context: str = Field(description="bytes prefixed to the signed claims, base64")
    code_format: str


class VersionOut(Schema):
    person_id: int
    version: int


class ArchivePersonOut(Schema):
    person_id: int
    name: str
    household: str
    id_number_masked: str
    has_smartphone: bool


class FiguresOut(Schema):
    day: datetime.date
    entries: int
    entries_in: int
    entries_out: int
    admitted: int
    denied: int
    denied_then_admitted: int
    follow_up: int
    denied_by_reason: dict[str, int]
    entries_by_hour: list[int]


def _entry_answer(result: EntryResult) -> dict[str, Any]:
    """An EntryOut, as the dict pydantic would write: built from a stored
    entry's own typed values and not validated again, as a batch answers
    500 of these (test_api_contract holds them to the schema)."""
    entry, reasons = result.entry, result.reasons
    return {
        "entry_id": entry.pk,
        "decision": entry.decision,
        "reasons": [reason.slug for reason in reasons],
        "messages": [reason.label for reason in reasons],
        "follow_up": entry.follow_up,
        "attempt": entry.attempt,
        "who": result.who,
        "replayed": not result.created,
    }


@router.get(
    "/public-key",
    response=PublicKeyOut,
    auth=None,
    summary="The Ed25519 public key that verifies pass codes offline",
)
def public_key(request: HttpRequest) -> PublicKeyOut:
    return PublicKeyOut(
        algorithm="Ed25519",
        public_key=base64.b64encode(passcodes.public_key_bytes()).decode(),
        signing_context=base64.b64encode(passcodes.SIGNING_CONTEXT).decode(),
        code_format=(
            "'FK1' + base32 without padding of: person id uint32 BE, version uint16 BE, "
            "issue day uint16 BE (days since 2020-01-01), Ed25519 signature (64 bytes) "
            "over signing_context + those 8 bytes"
        ),
    )


@router.get(
    "/pass-code-versions",
    response=list[VersionOut],
    summary="Reissued pass codes (current versions), for devices to refuse revoked codes offline",
)
def pass_code_versions(
    request: HttpRequest, since: datetime.datetime | None = None
) -> list[VersionOut]:
    caller(request, "checkpoints.operate")
    return [
        VersionOut(person_id=person_id, version=version)
        for person_id, version in queries.reissued_versions(since)
    ]


def _checkpoint(request: HttpRequest, capability: str, checkpoint_id: int) -> Checkpoint:
    return queries.checkpoint_for_caller(caller(request, capability), capability, checkpoint_id)


@router.post(
    "/{int:checkpoint_id}/entries",
    response={200: EntryOut, 201: EntryOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
    summary="Register one entry and get the decision",
)
def post_entry(request: HttpRequest, checkpoint_id: int, payload: EntryIn) -> Any:
    who = caller(request, "checkpoints.operate")
    checkpoint = queries.checkpoint_for_caller(who, "checkpoints.operate", checkpoint_id)
    _require_open(checkpoint)
    result = services.register_entry(who.actor, checkpoint, payload.to_input())
    return json_answer(_entry_answer(result), status=201 if result.created else 200)


def _require_open(checkpoint: Checkpoint) -> None:
    if not checkpoint.is_active:
        raise FieldError("checkpoint", _("this checkpoint is closed"), status=409)


def _parse_items(raw_items: list[EntryIn | Any]) -> list[EntryInput | FieldError]:
    """Each item as an EntryInput, or the FieldError naming its first bad
    field. The good ones were validated with the whole body."""
    return [
        item.to_input() if isinstance(item, EntryIn) else _parse_item(item) for item in raw_items
    ]


def _client_uuid(raw: EntryIn | Any) -> str | None:
    if isinstance(raw, EntryIn):
        return str(raw.client_uuid)
    given = raw.get("client_uuid") if isinstance(raw, dict) else None
    return str(given) if given is not None else None


def _parse_item(raw: Any) -> EntryInput | FieldError:
    try:
        return EntryIn.model_validate(raw).to_input()
    except ValidationError as error:
        first = error.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or "entry"
        return FieldError(field, first["msg"])


@router.post(
    "/{int:checkpoint_id}/entries/batch",
    response={200: BatchOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
    summary=f"Upload up to {MAX_BATCH} entries from a device that was offline",
)
def post_entries_batch(request: HttpRequest, checkpoint_id: int, payload: BatchIn) -> Any:
    who = caller(request, "checkpoints.operate")
    checkpoint = queries.checkpoint_for_caller(who, "checkpoints.operate", checkpoint_id)
    _require_open(checkpoint)
    results = services.register_entries(who.actor, checkpoint, _parse_items(payload.entries))
    # BatchOut, written as pydantic would (test_api_contract holds it to
    # the schema) without building 500 models.
    items, counts = [], {"created": 0, "replayed": 0, "rejected": 0}
    for index, (raw, result) in enumerate(zip(payload.entries, results, strict=True)):
        client_uuid = _client_uuid(raw)
        if isinstance(result, FieldError):
            counts["rejected"] += 1
            status, answer = result.status, None
            error: dict[str, str] | None = {"field": result.field, "msg": str(result)}
        else:
            counts["created" if result.created else "replayed"] += 1
            status, answer, error = 201 if result.created else 200, _entry_answer(result), None
        items.append(
            {
                "index": index,
                "status": status,
                "client_uuid": client_uuid,
                "result": answer,
                "error": error,
            }
        )
    return json_answer({**counts, "results": items})


@router.get(
    "/{int:checkpoint_id}/policy",
    response={200: PolicyOut, 404: ErrorOut},
    summary="The checkpoint's admission policy, for devices deciding offline",
)
def get_policy(request: HttpRequest, checkpoint_id: int) -> PolicyOut:
    checkpoint = _checkpoint(request, "checkpoints.view", checkpoint_id)
    return PolicyOut(
        checkpoint_id=checkpoint.pk,
        name=checkpoint.name,
        unit_code=checkpoint.unit.code,
        is_active=checkpoint.is_active,
        fever_threshold=checkpoint.fever_threshold,
        mask_required=checkpoint.mask_required,
        admitted_health_codes=checkpoint.admitted_health_codes,
        star_action=checkpoint.star_action,
        negative_test_required=checkpoint.negative_test_required,
        negative_test_hours=checkpoint.negative_test_hours,
        denied_statuses=checkpoint.denied_statuses,
        plausible_temperature=(rules.MIN_PLAUSIBLE_TEMPERATURE, rules.MAX_PLAUSIBLE_TEMPERATURE),
        retention_days=settings.ENTRY_RETENTION_DAYS,
        clock_skew_seconds=int(rules.CLOCK_SKEW.total_seconds()),
    )


@router.get(
    "/{int:checkpoint_id}/archive",
    response={200: list[ArchivePersonOut], 404: ErrorOut},
    summary="Find a resident without a smartphone: name plus last 4 ID digits, or household",
)
def search_archive(
    request: HttpRequest,
    checkpoint_id: int,
    name: str = "",
    last4: str = "",
    household: str = "",
) -> list[ArchivePersonOut]:
    checkpoint = _checkpoint(request, "checkpoints.operate", checkpoint_id)
    return [
        ArchivePersonOut(
            person_id=person.pk,
            name=person.name,
            household=person.household.label if person.household else "",
            id_number_masked=person.masked_id_number,
            has_smartphone=person.has_smartphone,
        )
        for person in queries.search_archive(
            checkpoint, name=name, last4=last4, household=household
        )
    ]


@router.get(
    "/{int:checkpoint_id}/figures",
    response={200: FiguresOut, 404: ErrorOut},
    summary="Entries, admitted, denied by reason and per hour, for a day",
)
def get_figures(
    request: HttpRequest, checkpoint_id: int, day: datetime.date | None = None
) -> FiguresOut:
    checkpoint = _checkpoint(request, "checkpoints.view", checkpoint_id)
    figures = queries.checkpoint_figures(checkpoint, day or timezone.localdate())
    return FiguresOut(
        day=figures.day,
        entries=figures.entries,
        entries_in=figures.entries_in,
        entries_out=figures.entries_out,
        admitted=figures.admitted,
        denied=figures.denied,
        denied_then_admitted=figures.denied_then_admitted,
        follow_up=figures.follow_up,
        denied_by_reason={reason.slug: count for reason, count in figures.by_reason},
        entries_by_hour=[count for _hour, count in figures.by_hour],
    )


@router.get(
    "/{int:checkpoint_id}/allowed-residents",
    response={200: None, 404: ErrorOut},
    summary="CSV of the residents allowed in, for a face-recognition gate's vendor to enrol",
)
def allowed_residents(request: HttpRequest, checkpoint_id: int) -> HttpResponse:
    who = caller(request, "checkpoints.manage")
    checkpoint = queries.checkpoint_for_caller(who, "checkpoints.manage", checkpoint_id)
    out = io.StringIO()
    services.export_allowed_residents(who.actor, checkpoint, out)
    return download("csv", f"allowed-{checkpoint.pk}", out.getvalue().encode("utf-8-sig"))
