"""The demo's testing rounds: 联盟新城 under 城南街道, one under 示范区."""

import io

from django.core.management import call_command

from fangkong.accounts.models import User
from fangkong.core.scoping import Scope
from fangkong.people.models import Person
from fangkong.testing import queries
from fangkong.testing.models import LabResult, Round, Sample


def test_it_builds_rounds_with_a_positive_pool_waiting_for_retests(db):
    call_command(
        "demo", "--people", "600", "--seed", "3", "--password", "pw-demo-2021", stdout=io.StringIO()
    )
    lianmeng = Round.objects.get(name="8月10日全员核酸检测")
    assert [unit.name for unit in lianmeng.units.all()] == ["城南街道"]
    site = lianmeng.sites.get()
    assert (site.name, site.unit.name, site.tube_size) == ("联盟新城核酸检测点", "联盟新城", 10)
    assert Round.objects.filter(units__name="示范区").exists()
    rows = {row.name: row for row in queries.unit_coverage(lianmeng, Scope.all())}
    assert rows["联盟新城"].sampled > 0.8 * rows["联盟新城"].expected  # most residents
    assert rows["联盟新城"].not_sampled > 0 and rows["联盟新城"].negative > 0
    assert LabResult.objects.filter(tube__round=lianmeng).count() > 0.8 * lianmeng.tubes.count()
    retests = list(queries.follow_up_samples(lianmeng, Scope.all(), queries.RETEST))
    assert len({sample.tube_id for sample in retests}) == 1 and len(retests) > 1
    pending = set(Person.objects.filter(status="pending_retest").values_list("pk", flat=True))
    assert {sample.person_id for sample in retests} <= pending
    assert Sample.objects.filter(round=lianmeng).count() == rows["城南街道"].sampled
    sampler = User.objects.get(username="sampler_lianmeng")
    assert list(queries.sites_for_scope(sampler.scope_for("testing.sample"))) == [site]
    assert User.objects.get(username="lab_city").can("testing.lab")
