"""Sampling: tubes count and seal, duplicates in a round need a reason,
retests go into single tubes, the round's window holds."""

import datetime

import pytest
from django.utils import timezone

from fangkong.core.scoping import Scope
from fangkong.core.testing import SYSTEM, make_person
from fangkong.testing import queries, services
from fangkong.testing.models import Sample, SampleKind, Tube
from fangkong.testing.services import TestingError


def test_it_counts_a_tube_and_seals_it_when_full(site, swab, many_people):
    people = many_people(11)
    for count, person in enumerate(people[:10], start=1):
        recorded = swab(person, "T0001")
        assert recorded.tube.sample_count == count
    tube = Tube.objects.get(barcode="T0001")
    assert (tube.sample_count, tube.capacity) == (10, 10)
    assert tube.sealed_at is not None
    with pytest.raises(TestingError) as refused:
        swab(people[10], "T0001")
    assert refused.value.field == "tube_barcode"
    assert Sample.objects.filter(tube=tube).count() == 10


def test_it_seals_a_tube_on_demand_but_not_an_empty_one(site, swab, many_people):
    first, second = many_people(2)
    tube = services.open_tube(SYSTEM, site=site, barcode="T0002")
    with pytest.raises(TestingError, match="empty"):
        services.seal_tube(SYSTEM, tube)
    swab(first, "T0002")
    assert services.seal_tube(SYSTEM, tube).sealed_at is not None
    with pytest.raises(TestingError, match="sealed"):
        swab(second, "T0002")


def test_it_flags_a_second_sample_in_the_round_and_needs_a_reason(
    testing_round, site, swab, resident
):
    swab(resident, "T0001")
    with pytest.raises(TestingError) as flagged:
        swab(resident, "T0002")
    assert flagged.value.field == "reason"
    assert "already sampled" in str(flagged.value) and "T0001" in str(flagged.value)
    assert not Tube.objects.filter(barcode="T0002").exists()  # nothing half-done
    again = swab(resident, "T0002", reason="第一管破损")
    assert again.sample.kind == SampleKind.REPEAT and again.sample.reason == "第一管破损"
    samples = Sample.objects.filter(person=resident, round=testing_round)
    assert samples.count() == 2
    assert list(samples.filter(is_latest=True)) == [again.sample]
    rows = {row.name: row for row in queries.unit_coverage(testing_round, Scope.all())}
    assert (rows["盛和家园"].expected, rows["盛和家园"].sampled) == (1, 1)


def test_it_refuses_the_same_person_twice_in_one_tube(site, swab, resident):
    swab(resident, "T0001")
    with pytest.raises(TestingError) as refused:
        swab(resident, "T0001", reason="again")
    assert refused.value.field == "tube_barcode"


def test_it_samples_again_in_a_new_round_without_a_reason(
    testing_round, site, swab, city, resident
):
    swab(resident, "T0001")
    now = timezone.now()
    later = services.create_round(
        SYSTEM,
        name="第二轮",
        units=[city.shenghe],
        starts_at=now - datetime.timedelta(hours=1),
        ends_at=now + datetime.timedelta(hours=24),
    )
    other_site = services.create_site(SYSTEM, round=later, unit=city.shenghe, name="二轮采样点")
    assert swab(resident, "T0001", at_site=other_site).sample.kind == SampleKind.FIRST


def test_it_puts_a_retest_of_a_positive_pool_in_a_single_tube(
    testing_round, site, swab, many_people, results_file
):
    people = many_people(12)
    for person in people[:10]:
        swab(person, "P0001")
    swab(people[10], "P0002")
    services.import_results(SYSTEM, testing_round, results_file([("P0001", "阳性", "31.5")]))
    with pytest.raises(TestingError) as refused:
        swab(people[0], "P0002")  # an open pooled tube
    assert refused.value.field == "tube_barcode" and "single tube" in str(refused.value)
    retest = swab(people[0], "S0001")  # a new tube opens as a single tube for a retest
    assert retest.sample.kind == SampleKind.RETEST
    assert (retest.tube.capacity, retest.tube.sealed_at is not None) == (1, True)


def test_it_refuses_a_tube_opened_at_another_site(testing_round, site, swab, city, many_people):
    first, second = many_people(2)
    village_site = services.create_site(
        SYSTEM, round=testing_round, unit=city.zhangbukou, name="张埠口村采样点", pool_size=5
    )
    swab(first, "T0001")
    with pytest.raises(TestingError, match="another site"):
        swab(second, "T0001", at_site=village_site)
    assert swab(second, "V0001", at_site=village_site).tube.capacity == 5


def test_it_refuses_a_tube_that_has_a_result(testing_round, site, swab, many_people, results_file):
    first, second = many_people(2)
    swab(first, "T0001")
    services.import_results(SYSTEM, testing_round, results_file([("T0001", "negative")]))
    with pytest.raises(TestingError, match="sealed"):
        swab(second, "T0001")


def test_it_keeps_samples_inside_the_round_window(testing_round, site, swab, resident, city):
    with pytest.raises(TestingError) as early:
        swab(resident, "T0001", minutes_ago=13 * 60)
    assert early.value.field == "collected_at"
    with pytest.raises(TestingError, match="future"):
        swab(resident, "T0001", minutes_ago=-60)
    testing_round.ends_at = timezone.now() - datetime.timedelta(minutes=10)
    testing_round.save()
    site.refresh_from_db()
    with pytest.raises(TestingError, match="after the round ended"):
        swab(resident, "T0001", minutes_ago=1)


def test_it_checks_a_new_round_and_site(city):
    with pytest.raises(TestingError) as bad:
        services.create_round(SYSTEM, name="x", units=[city.shifan], pool_size=8)
    assert bad.value.field == "pool_size"
    testing_round = services.create_round(SYSTEM, name="x", units=[city.shifan, city.shenghe])
    assert list(testing_round.units.all()) == [city.shifan]  # 盛和家园 lies inside 示范区
    with pytest.raises(TestingError, match="exists"):
        services.create_round(SYSTEM, name="x", units=[city.chuanhui])
    with pytest.raises(TestingError) as outside:
        services.create_site(SYSTEM, round=testing_round, unit=city.chuanhui, name="川汇")
    assert outside.value.field == "unit"


def test_it_samples_a_person_of_another_unit_who_comes_to_the_site(site, swab, city):
    visitor = make_person(city.chuanhui, "李四")
    assert swab(visitor, "T0001").sample.person == visitor
