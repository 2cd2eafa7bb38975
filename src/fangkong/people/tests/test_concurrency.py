"""Two clerks registering the same new ID number at the same moment."""

import threading

import pytest
from django.db import connection

from fangkong.core.testing import SYSTEM, valid_id_number
from fangkong.people import services
from fangkong.people.models import Person


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_it_registers_one_person_when_two_clerks_race(city, monkeypatch):
    number = valid_id_number()
    both_looked = threading.Barrier(2, timeout=30)
    first_call = threading.local()
    original_apply = services._apply

    def apply_after_both_looked(*args):
        # Both transactions have found nobody before either inserts.
        if not getattr(first_call, "done", False):
            first_call.done = True
            both_looked.wait()
        original_apply(*args)

    monkeypatch.setattr(services, "_apply", apply_after_both_looked)
    results, errors = [], []

    def register(name):
        try:
            person = services.register_person(
                SYSTEM, name=name, id_number=number, home_unit=city.shenghe
            )
            results.append(person.pk)
        except Exception as error:  # the assertion below shows it
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=register, args=(name,)) for name in ("王丽", "王莉")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert len(set(results)) == 1
    assert Person.objects.with_id_number(number).count() == 1
