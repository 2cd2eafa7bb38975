"""latest_negative_test_at for the checkpoints' "negative within N hours"."""

from django.utils import timezone

from fangkong.core.testing import SYSTEM
from fangkong.testing import services
from fangkong.testing.providers import latest_negative_test_at


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
    assert providers["testing"].latest_negative_test_at is latest_negative_test_at


def test_it_lets_a_gate_that_requires_a_negative_test_admit_only_the_tested(
    testing_round, swab, many_people, results_file
):
    """Integration with checkpoints: a gate requiring a negative result within
    24 hours asks this app, through discovery, when each person last tested negative."""
    import uuid
    from decimal import Decimal

    from fangkong.checkpoints import services as checkpoint_services
    from fangkong.checkpoints.registration import EntryInput, register_entry

    tested, untested = many_people(2)
    swab(tested, "G1", minutes_ago=180)
    services.import_results(SYSTEM, testing_round, results_file([("G1", "negative")]))
    gate = checkpoint_services.create_checkpoint(SYSTEM, unit=tested.home_unit, name="北门")
    gate = checkpoint_services.update_checkpoint(
        SYSTEM, gate, negative_test_required=True, negative_test_hours=24
    )

    def check(person):
        seen = EntryInput(
            client_uuid=uuid.uuid4(),
            observed_at=timezone.now(),
            mask=True,
            health_code="green",
            temperature=Decimal("36.5"),
            person_id=person.pk,
        )
        return register_entry(SYSTEM, gate, seen).entry

    assert check(tested).decision == "admit"
    refused = check(untested)
    assert refused.decision == "deny"
    assert [reason.slug for reason in refused.reason_list] == ["no_negative_test"]
