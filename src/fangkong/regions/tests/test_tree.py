"""The administrative tree: subtree and path queries, moves, the units import."""

import csv
import importlib

import pytest
from django.apps import apps as django_apps
from django.db import IntegrityError

from fangkong.core.testing import SYSTEM
from fangkong.regions import rules
from fangkong.regions.models import Unit
from fangkong.regions.services import UnitError, create_unit, import_units, move_unit

pytestmark = pytest.mark.usefixtures("english")


def test_it_lists_a_subtree_in_one_query(city, django_assert_num_queries):
    with django_assert_num_queries(1):
        names = {unit.name for unit in Unit.objects.subtree(city.shifan)}
    assert names == {"示范区", "搬口办事处", "盛和社区", "盛和家园", "许湾乡", "张埠口村"}


def test_it_gives_the_path_above_a_unit_in_one_query(city, django_assert_num_queries):
    with django_assert_num_queries(1):
        names = [unit.name for unit in Unit.objects.ancestors(city.shenghe)]
    assert names == ["周口市", "示范区", "搬口办事处", "盛和社区", "盛和家园"]


def test_it_keeps_prefixes_of_ids_apart():
    five = rules.path_for(rules.path_for("", 1), 5)
    assert five == "0000000001.0000000005."
    assert rules.path_for(five, 12) == "0000000001.0000000005.0000000012."
    assert not rules.path_for(rules.path_for("", 1), 55).startswith(five)
    with pytest.raises(ValueError):
        rules.path_for(five, 10**10)


def test_it_gives_units_without_an_official_code_one_of_their_own(city):
    assert city.shifan.code == f"FK{city.shifan.pk:08d}"
    assert not city.shifan.has_official_code
    assert city.chuanhui.code == "411602" and city.chuanhui.has_official_code


def test_it_keeps_names_unique_among_siblings(city):
    with pytest.raises(UnitError, match="already exists"):
        create_unit(SYSTEM, name="许湾乡", kind="township", parent=city.shifan)
    create_unit(SYSTEM, name="许湾乡", kind="township", parent=city.chuanhui)  # a cousin is fine
    with pytest.raises(IntegrityError):
        Unit.objects.create(
            name="盛和家园", kind="compound", parent=city.shenghe_community, code="X1", path="x."
        )


def test_it_moves_a_subtree(city):
    move_unit(SYSTEM, city.xuwan, city.chuanhui)
    village = Unit.objects.get(pk=city.zhangbukou.pk)
    assert village.path.startswith(Unit.objects.get(pk=city.chuanhui.pk).path)
    assert village.depth == 3
    assert [u.name for u in Unit.objects.ancestors(village)] == [
        "周口市",
        "川汇区",
        "许湾乡",
        "张埠口村",
    ]
    with pytest.raises(UnitError):
        move_unit(SYSTEM, city.shifan, city.shenghe)


@pytest.mark.parametrize(
    ("raw", "kind"),
    [
        ("市", "city"),
        ("县级市", "county_city"),
        ("功能区", "zone"),
        ("办事处", "subdistrict"),
        ("街道", "subdistrict"),
        ("镇", "town"),
        ("小区", "compound"),
        ("village", "village"),
        ("Town", "town"),
    ],
)
def test_it_parses_kinds_in_english_and_chinese(raw, kind):
    assert rules.parse_kind(raw) == kind


def test_it_imports_units_naming_parents_in_the_same_file(db, tmp_path):
    path = tmp_path / "units.csv"
    with path.open("w", encoding="gb18030", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(["编码", "名称", "类型", "上级编码"])
        writer.writerows(
            [
                ["411600", "周口市", "市", ""],
                ["411623", "商水县", "县", "411600"],
                ["", "舒庄乡", "乡", "411623"],
            ]
        )
    result = import_units(SYSTEM, path)
    assert result.applied and result.created == 3
    township = Unit.objects.get(name="舒庄乡")
    assert township.kind == "township" and township.code.startswith("FK")
    assert [u.name for u in Unit.objects.ancestors(township)] == ["周口市", "商水县", "舒庄乡"]
    again = import_units(SYSTEM, path)
    assert again.errors  # the code-less row would be a second 舒庄乡 under 商水县
    assert Unit.objects.count() == 3


def test_it_changes_nothing_when_a_unit_row_is_bad(db, tmp_path):
    path = tmp_path / "units.csv"
    path.write_text(
        "code,name,kind,parent_code\n411600,周口市,city,\n411623,商水县,planet,411600\n"
        "411624,沈丘县,county,999999\n"
    )
    result = import_units(SYSTEM, path)
    assert not result.applied and Unit.objects.count() == 0
    assert {(e.row, e.column) for e in result.errors} == {(3, "kind"), (4, "parent_code")}


def test_it_orders_units_as_a_tree_with_siblings_in_creation_order():
    def path(*ids):
        built = ""
        for unit_id in ids:
            built = rules.path_for(built, unit_id)
        return built

    paths = [path(1, 100), path(1, 98), path(1, 98, 101), path(1), path(1, 100, 7)]
    tree = [path(1), path(1, 98), path(1, 98, 101), path(1, 100), path(1, 100, 7)]
    # As text, so SQL ordering by path is tree order.
    assert sorted(paths) == tree


def test_it_lists_siblings_in_creation_order_across_a_digit_boundary(db):
    root = create_unit(SYSTEM, name="周口市", kind="city", code="411600")
    # Ids chosen so that, written plainly, "…100." sorts before "…98.".
    for unit_id, name in ((98, "九十八村"), (100, "一百村"), (9, "九村")):
        Unit.objects.create(
            pk=unit_id,
            name=name,
            kind="village",
            code=f"T{unit_id}",
            parent=root,
            depth=1,
            path=rules.path_for(root.path, unit_id),
        )
    assert [unit.pk for unit in Unit.objects.filter(parent=root)] == [9, 98, 100]
    assert [unit.name for unit in Unit.objects.subtree(root)] == [
        "周口市",
        "九村",
        "九十八村",
        "一百村",
    ]


def test_it_refuses_a_tree_deeper_than_a_path_holds(db):
    parent = create_unit(SYSTEM, name="根", kind="other")
    while len(parent.path) + rules.PATH_DIGITS + 1 <= rules.MAX_PATH_LENGTH:
        parent = create_unit(SYSTEM, name=f"第{parent.depth + 1}层", kind="other", parent=parent)
    assert parent.depth == 22
    with pytest.raises(UnitError, match="too deep"):
        create_unit(SYSTEM, name="再深一层", kind="other", parent=parent)
    top = create_unit(SYSTEM, name="另一棵", kind="other")
    branch = create_unit(SYSTEM, name="分支", kind="other", parent=top)
    create_unit(SYSTEM, name="叶", kind="other", parent=branch)
    with pytest.raises(UnitError, match="too deep"):
        move_unit(SYSTEM, branch, parent.parent)
    assert Unit.objects.get(pk=branch.pk).parent_id == top.pk


def test_it_rewrites_plain_paths_to_fixed_width_and_back(city):
    migration = importlib.import_module("fangkong.regions.migrations.0002_fixed_width_paths")
    fixed = dict(Unit.objects.values_list("pk", "path"))
    migration.to_plain(django_apps, None)
    plain = dict(Unit.objects.values_list("pk", "path"))
    assert plain[city.shenghe.pk] == "".join(
        f"{unit.pk}." for unit in Unit.objects.ancestors(city.shenghe)
    )
    migration.to_fixed_width(django_apps, None)
    assert dict(Unit.objects.values_list("pk", "path")) == fixed
