"""Tube capacity and one-sample-per-round hold when samplers race
(PostgreSQL: row locks and unique indexes; SQLite serialises writers)."""

import datetime
import threading
import uuid

import pytest
from django.db import connection
from django.utils import timezone

from fangkong.core.testing import SYSTEM
from fangkong.testing import services
from fangkong.testing.models import Sample, Tube
from fangkong.testing.services import TestingError

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def race(calls):
    """Run the calls at the same moment, each on its own connection; return
    (results, errors)."""
    barrier = threading.Barrier(len(calls))
    results, errors = [], []

    def run(call):
        try:
            barrier.wait()
            results.append(call())
        except TestingError as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, errors


def add(site, person, barcode, client_uuid=None):
    return lambda: services.record_sample(
        SYSTEM,
        site=site,
        person=person,
        tube_barcode=barcode,
        collected_at=timezone.now() - datetime.timedelta(minutes=1),
        client_uuid=client_uuid or uuid.uuid4(),
    )


def test_it_never_puts_eleven_in_a_ten_tube(site, swab, many_people):
    people = many_people(9 + 2 * 4)
    for person in people[:9]:
        swab(person, "C0001")
    # Two samplers add the last place at once, four times over (new tubes too).
    for attempt in range(4):
        barcode = "C0001" if attempt == 0 else f"C100{attempt}"
        if attempt:
            for person in many_people(9, prefix=f"第{attempt}批"):
                swab(person, barcode)
        racers = people[9 + 2 * attempt : 11 + 2 * attempt]
        results, errors = race([add(site, person, barcode) for person in racers])
        assert len(results) == 1 and len(errors) == 1
        assert errors[0].field == "tube_barcode"
        tube = Tube.objects.get(barcode=barcode)
        assert tube.sample_count == 10 and tube.sealed_at is not None
        assert Sample.objects.filter(tube=tube).count() == 10


def test_it_fills_a_new_tube_from_many_samplers_to_exactly_its_capacity(site, many_people):
    people = many_people(14)
    results, errors = race([add(site, person, "C2000") for person in people])
    assert len(results) == 10 and len(errors) == 4
    tube = Tube.objects.get(barcode="C2000")
    assert tube.sample_count == 10 == Sample.objects.filter(tube=tube).count()


def test_it_samples_a_person_once_when_two_samplers_scan_them_at_once(site, resident):
    results, errors = race([add(site, resident, "C3001"), add(site, resident, "C3002")])
    assert len(results) == 1 and len(errors) == 1 and errors[0].field == "reason"
    assert Sample.objects.filter(person=resident).count() == 1


def test_it_records_a_retried_upload_once_when_both_arrive_together(site, resident):
    same = uuid.uuid4()
    results, errors = race([add(site, resident, "C4001", same), add(site, resident, "C4001", same)])
    assert not errors and len(results) == 2
    assert {result.sample.pk for result in results} == {Sample.objects.get().pk}
    assert sorted(result.created for result in results) == [False, True]
