"""Dorfman pooling: 200 people in 20 tubes of 10; two positive pools send
exactly their 20 people to single-tube retests, the rest are negative; the
retests then settle each of the 20."""

from fangkong.core.scoping import Scope
from fangkong.core.testing import SYSTEM
from fangkong.people.models import Person
from fangkong.testing import queries, services
from fangkong.testing.models import Sample, Tube


def test_it_retests_exactly_the_people_of_positive_pools(
    testing_round, site, swab, many_people, results_file, city
):
    people = many_people(200)
    for index, person in enumerate(people):
        swab(person, f"P{index // 10:03d}")
    assert Tube.objects.filter(round=testing_round, sealed_at__isnull=False).count() == 20
    positive_pools = {"P003", "P017"}
    rows = [
        (f"P{n:03d}", "positive" if f"P{n:03d}" in positive_pools else "negative")
        for n in range(20)
    ]
    outcome = services.import_results(SYSTEM, testing_round, results_file(rows))
    assert outcome.applied and outcome.created == 20 and outcome.to_retest == 20
    in_positive_pools = set(
        Sample.objects.filter(tube__barcode__in=positive_pools).values_list("person_id", flat=True)
    )
    pending = set(Person.objects.filter(status="pending_retest").values_list("pk", flat=True))
    assert pending == in_positive_pools and len(pending) == 20
    assert Person.objects.filter(status="normal").count() == 180
    rows = {row.code: row for row in queries.unit_coverage(testing_round, Scope.all())}
    shenghe = rows[city.shenghe.code]
    assert (
        shenghe.expected,
        shenghe.sampled,
        shenghe.negative,
        shenghe.pending,
        shenghe.positive,
    ) == (200, 200, 180, 20, 0)
    retests = list(queries.follow_up_samples(testing_round, Scope.all(), queries.RETEST))
    assert {sample.person_id for sample in retests} == in_positive_pools

    # Single-tube retests: two of the twenty are positive.
    retested = sorted(in_positive_pools)
    for number, person_id in enumerate(retested):
        swab(Person.objects.get(pk=person_id), f"S{number:03d}", minutes_ago=5)
    assert Tube.objects.filter(barcode__startswith="S", capacity=1).count() == 20
    rows = [(f"S{n:03d}", "positive" if n in (4, 11) else "negative") for n in range(20)]
    outcome = services.import_results(SYSTEM, testing_round, results_file(rows, "retests.csv"))
    assert outcome.made_positive == 2 and outcome.cleared == 18
    assert Person.objects.filter(status="positive").count() == 2
    assert Person.objects.filter(status="pending_retest").count() == 0
    assert Person.objects.filter(status="normal").count() == 198
    shenghe = {row.code: row for row in queries.unit_coverage(testing_round, Scope.all())}[
        city.shenghe.code
    ]
    assert (shenghe.negative, shenghe.pending, shenghe.positive) == (198, 0, 2)
    assert not list(queries.follow_up_samples(testing_round, Scope.all(), queries.RETEST))
