"""Demo gates from the source page: 盛和家园 (two of its three gates open),
书香门第 (one entrance, one code per person, a face-recognition gate),
张埠口村 (the village entrance where 张战国 takes temperatures) and the school
城南实验学校, each with its staff; pass codes for 盛和家园; and the evenings
of 9 and 10 August 2021 at the gates, with 张立新 refused without a mask at
19:00 and admitted once he put it on."""

from __future__ import annotations

import datetime
import secrets
import uuid
from decimal import Decimal
from typing import Any

from fangkong.accounts import services as accounts
from fangkong.checkpoints import passcodes, services
from fangkong.checkpoints.models import PassCode
from fangkong.checkpoints.registration import EntryInput, VisitorInput
from fangkong.core import personal_data
from fangkong.core.audit import Actor
from fangkong.core.demo_support import DemoContext
from fangkong.people.demo import make_id_number, region_prefix
from fangkong.people.models import Person
from fangkong.people.services import register_person

TZ = datetime.timezone(datetime.timedelta(hours=8))
EVENINGS = (datetime.date(2021, 8, 9), datetime.date(2021, 8, 10))

# unit → [(checkpoint name, staff username)]; a None username binds nobody new.
GATES = {
    "盛和家园": [("北门", "gate_shenghe"), ("南门", "gate_shenghe")],
    "书香门第": [("正门", "gate_shuxiang")],
    "张埠口村": [("村口", "gate_zhangbukou")],
    "城南实验学校": [("校门", "gate_chengnan")],
}
NEW_STAFF = {
    "gate_shuxiang": ("书香门第物业值班员", "书香门第"),
    "gate_zhangbukou": ("张战国", "张埠口村"),
    "gate_chengnan": ("城南实验学校门卫", "城南实验学校"),
}
# Entries per gate per evening, before the scripted ones.
EVENING_ENTRIES = 40


def build(context: DemoContext) -> None:
    actor = context.actor
    for username, (display_name, unit_name) in NEW_STAFF.items():
        password = context.password or secrets.token_urlsafe(9)
        user = accounts.create_user(
            actor, username=username, password=password, display_name=display_name
        )
        accounts.assign_role(actor, user, "gate_staff", context.unit(unit_name))
        context.users[username] = (user, password)
    checkpoints: dict[str, Any] = {}
    for unit_name, gates in GATES.items():
        unit = context.unit(unit_name)
        for gate_name, username in gates:
            checkpoint = services.create_checkpoint(actor, unit=unit, name=gate_name)
            services.bind_staff(actor, checkpoint, context.users[username][0])
            checkpoints[f"{unit_name}{gate_name}"] = checkpoint
    context.extra["checkpoints"] = checkpoints
    face_gate, _token = accounts.create_device_token(
        actor, unit=context.unit("书香门第"), name="书香门第人脸识别闸机"
    )
    zhang_lixin = _zhang_lixin(context)
    shenghe = list(Person.objects.filter(home_unit=context.unit("盛和家园")))
    services.issue_pass_codes(actor, shenghe, today=EVENINGS[0] - datetime.timedelta(days=7))
    total = 0
    for day in EVENINGS:
        total += _evening(
            context,
            checkpoints["盛和家园北门"],
            Actor.for_user(context.users["gate_shenghe"][0]),
            day,
            scripted=_zhang_lixin_at_the_gate(zhang_lixin, day) if day == EVENINGS[0] else [],
        )
        total += _evening(
            context,
            checkpoints["盛和家园南门"],
            Actor.for_user(context.users["gate_shenghe"][0]),
            day,
        )
        total += _evening(
            context, checkpoints["书香门第正门"], Actor.for_device(face_gate), day, face=True
        )
        total += _evening(
            context,
            checkpoints["张埠口村村口"],
            Actor.for_user(context.users["gate_zhangbukou"][0]),
            day,
            scripted=_visitor_completes_details(context, day),
        )
        total += _evening(
            context,
            checkpoints["城南实验学校校门"],
            Actor.for_user(context.users["gate_chengnan"][0]),
            day,
            # Nobody lives at the school: pupils and staff from around it
            # show their ID card (核验身份).
            people_under=context.unit("城南实验学校").parent,
            by_id_number=True,
        )
    context.log(f"  {len(checkpoints)} checkpoints, {total} entries on 9–10 August 2021")


def _zhang_lixin(context: DemoContext) -> Person:
    unit = context.unit("盛和家园")
    used = set()
    return register_person(
        context.actor,
        name="张立新",
        id_number=make_id_number(context, region_prefix(unit), used),
        home_unit=unit,
        phone="13803940809",
        household="6号楼2单元301室",
    )


def _uuid(context: DemoContext) -> uuid.UUID:
    return uuid.UUID(int=context.rng.getrandbits(128), version=4)


def _at(day: datetime.date, hour: int, minute: int, second: int = 0) -> datetime.datetime:
    return datetime.datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=TZ)


def _zhang_lixin_at_the_gate(person: Person, day: datetime.date) -> list[dict]:
    """19:00: no mask, refused; he puts it on and is admitted."""
    code = services.code_for(PassCode.objects.get(person=person))
    return [
        {"at": _at(day, 19, 0, 10), "code": code, "mask": False},
        {"at": _at(day, 19, 1, 5), "code": code, "mask": True},
    ]


def _visitor_completes_details(context: DemoContext, day: datetime.date) -> list[dict]:
    """A car at the village at 23:00: the driver's ID is not in the
    registry; he gives the rest of his details and is admitted."""
    prefix = "411625"  # 郸城县
    number = make_id_number(context, prefix, set())
    visitor = VisitorInput(
        name=context.faker.name(),
        phone=f"13{context.rng.randint(100000000, 999999999)}",
        id_number=number,
        reason="返乡探亲",
        visiting=f"{context.rng.randint(1, 6)}组{context.rng.randint(1, 30)}号",
    )
    return [
        {"at": _at(day, 23, 2), "id_number": number},
        {"at": _at(day, 23, 4), "visitor": visitor},
    ]


def _evening(
    context: DemoContext,
    checkpoint: Any,
    actor: Actor,
    day: datetime.date,
    *,
    scripted: list[dict] | None = None,
    face: bool = False,
    people_under: Any = None,
    by_id_number: bool = False,
) -> int:
    under = people_under or checkpoint.unit
    residents = list(
        Person.objects.filter(home_unit__path__startswith=under.path)
        .order_by("pk")
        .values_list("pk", "has_smartphone", "pass_code__version", "pass_code__issued_on")[:2000]
    )
    numbers = (
        {
            pk: personal_data.decrypt(encrypted)
            for pk, encrypted in Person.objects.filter(
                pk__in=[row[0] for row in residents]
            ).values_list("pk", "id_number_encrypted")
        }
        if by_id_number
        else {}
    )
    observations = list(scripted or [])
    if residents:
        for _number in range(EVENING_ENTRIES):
            person_id, smartphone, version, issued_on = context.rng.choice(residents)
            # Residents with a phone show their pass code; the others are
            # picked from the gate's archive.
            code = passcodes.sign(person_id, version, issued_on) if version and smartphone else None
            minute = context.rng.randint(0, 5 * 60 - 1)
            at = _at(day, 18, 30) + datetime.timedelta(
                minutes=minute, seconds=context.rng.randint(0, 59)
            )
            roll = context.rng.random()
            observations.append(
                {
                    "at": at,
                    "code": code,
                    "id_number": numbers.get(person_id),
                    "person_id": None if code or by_id_number else person_id,
                    "mask": roll > 0.06,
                    "health_code": "green" if smartphone else "none",
                    "temperature": Decimal("37.4") if roll > 0.985 else None,
                    "direction": "in" if context.rng.random() < 0.7 else "out",
                }
            )
    batch = []
    for seen in sorted(observations, key=lambda item: item["at"]):
        temperature = seen.get("temperature") or Decimal(f"36.{context.rng.randint(1, 8)}")
        batch.append(
            EntryInput(
                client_uuid=_uuid(context),
                observed_at=seen["at"],
                mask=seen.get("mask", True),
                health_code=seen.get("health_code", "green"),
                temperature=temperature,
                direction=seen.get("direction", "in"),
                code=seen.get("code"),
                person_id=seen.get("person_id"),
                id_number=seen.get("id_number"),
                visitor=seen.get("visitor"),
                method="face_gate" if face else ("duty_page" if actor.user else "device"),
            )
        )
    if not batch:
        return 0
    now = _at(day, 23, 59)
    results = services.register_entries(actor, checkpoint, batch, now=now)
    failed = [result for result in results if isinstance(result, Exception)]
    if failed:
        raise RuntimeError(f"demo entries were refused at {checkpoint}: {failed[:3]}")
    return len(results)
