"""latest_negative_tests_at for the checkpoints' "negative within N hours"."""

import uuid
from decimal import Decimal

from django.utils import timezone

from fangkong.core.testing import SYSTEM
from fangkong.testing import services
from fangkong.testing.providers import latest_negative_tests_at


def entry_of(person):
    """A healthy person, picked from a gate's archive, coming in now."""
    from fangkong.checkpoints.registration import EntryInput

    return EntryInput(
        client_uuid=uuid.uuid4(),
        observed_at=timezone.now(),
        mask=True,
        health_code="green",
        temperature=Decimal("36.5"),
        person_id=person.pk,
    )


def latest_negative_test_at(person_id):
    return latest_negative_tests_at([person_id]).get(person_id)


def test_it_gives_the_collection_time_of_the_latest_negative(
    testing_round, site, swab, many_people, results_file
):
    person, poolmate = many_people(2)
    assert latest_negative_test_at(person.pk) is None
    first = swab(person, "N1", minutes_ago=300).sample
    swab(poolmate, "N1", minutes_ago=299)
    assert latest_negative_test_at(person.pk) is None  # no result yet
    services.import_results(SYSTEM, testing_round, results_file([("N1", "negative")]))
    assert latest_negative_test_at(person.pk) == first.collected_at
    second = swab(person, "N2", reason="复检", minutes_ago=60).sample
    services.import_results(SYSTEM, testing_round, results_file([("N2", "negative")], "2.csv"))
    assert latest_negative_test_at(person.pk) == second.collected_at
    swab(person, "N3", reason="再检", minutes_ago=10)
    services.import_results(SYSTEM, testing_round, results_file([("N3", "positive")], "3.csv"))
    assert latest_negative_test_at(person.pk) == second.collected_at


def test_it_is_offered_through_discovery(db):
    from fangkong.core.discovery import app_modules

    providers = dict(app_modules("providers"))
    assert providers["testing"].latest_negative_tests_at is latest_negative_tests_at


def test_it_lets_a_gate_that_requires_a_negative_test_admit_only_the_tested(
    testing_round, swab, many_people, results_file
):
    """Integration with checkpoints: a gate requiring a negative result within
    24 hours asks this app, through discovery, when each person last tested negative."""

    from fangkong.checkpoints import services as checkpoint_services
    from fangkong.checkpoints.registration import register_entry

    tested, untested = many_people(2)
    swab(tested, "G1", minutes_ago=180)
    services.import_results(SYSTEM, testing_round, results_file([("G1", "negative")]))
    gate = checkpoint_services.create_checkpoint(SYSTEM, unit=tested.home_unit, name="北门")
    gate = checkpoint_services.update_checkpoint(
        SYSTEM, gate, negative_test_required=True, negative_test_hours=24
    )

    def check(person):
        return register_entry(SYSTEM, gate, entry_of(person)).entry

    assert check(tested).decision == "admit"
    refused = check(untested)
    assert refused.decision == "deny"
    assert [reason.slug for reason in refused.reason_list] == ["no_negative_test"]


def test_it_answers_a_whole_batch_of_entries_in_one_query(
    testing_round, swab, many_people, results_file
):
    """A device's offline upload at a gate requiring a negative result asks
    once for all its people, not once per entry."""

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from fangkong.checkpoints import services as checkpoint_services
    from fangkong.checkpoints.registration import register_entries

    people = many_people(22)
    for index, person in enumerate(people):
        swab(person, f"B{index:02d}", minutes_ago=120)
    negative = [(f"B{index:02d}", "negative") for index in range(0, len(people), 2)]
    services.import_results(SYSTEM, testing_round, results_file(negative))
    gate = checkpoint_services.create_checkpoint(SYSTEM, unit=people[0].home_unit, name="北门")
    gate = checkpoint_services.update_checkpoint(
        SYSTEM, gate, negative_test_required=True, negative_test_hours=24
    )

    def upload(batch):
        entries = [entry_of(person) for person in batch]
        with CaptureQueriesContext(connection) as queries:
            results = register_entries(SYSTEM, gate, entries)
        return results, len(queries.captured_queries)

    few, few_queries = upload(people[:2])
    many, many_queries = upload(people[2:])
    assert many_queries == few_queries
    decisions = {result.entry.person_id: result.entry.decision for result in few + many}
    assert decisions == {
        person.pk: "deny" if index % 2 else "admit" for index, person in enumerate(people)
    }
