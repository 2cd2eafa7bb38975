"""The demo city's tree: Zhoukou (周口市), its 13 county-level units from the
source page's vaccination bulletin, and the townships, villages and compounds
the page names; a few generated ones fill in the rest."""

from __future__ import annotations

from fangkong.core.demo_support import DemoContext
from fangkong.regions import services

# (name, kind, GB/T 2260 code or None for functional zones without one)
COUNTY_LEVEL = [
    ("开发区", "zone", None),
    ("示范区", "zone", None),
    ("川汇区", "district", "411602"),
    ("郸城县", "county", "411625"),
    ("淮阳区", "district", "411603"),
    ("鹿邑县", "county", "411628"),
    ("港区", "zone", None),
    ("沈丘县", "county", "411624"),
    ("扶沟县", "county", "411621"),
    ("太康县", "county", "411627"),
    ("项城市", "county_city", "411681"),
    ("商水县", "county", "411623"),
    ("西华县", "county", "411622"),
]

# county → township (kind) → [(grassroots unit, kind, [compounds/schools])]
NAMED = {
    "示范区": {
        ("搬口办事处", "subdistrict"): [("盛和社区", "community", [("盛和家园", "compound")])],
        ("文昌办事处", "subdistrict"): [("嵩山路社区", "community", [("书香门第", "compound")])],
        ("许湾乡", "township"): [("张埠口村", "village", [])],
    },
    "川汇区": {
        ("城南街道", "subdistrict"): [
            ("联盟社区", "community", [("联盟新城", "compound"), ("城南实验学校", "school")])
        ],
    },
    "扶沟县": {("崔桥镇", "town"): [("崔桥村", "village", [])]},
    "商水县": {
        ("舒庄乡", "township"): [
            ("三所楼村", "village", []),
            ("杨集村", "village", []),
            ("大营村", "village", []),
        ],
        ("巴村镇", "town"): [("袁吴徐村", "village", [])],
    },
}

GENERATED_TOWNSHIPS = ["城关镇", "新华街道"]
GENERATED_VILLAGES = ["东关村", "西关村", "前进社区"]


def build(context: DemoContext) -> None:
    actor = context.actor
    city = services.create_unit(actor, name="周口市", kind="city", code="411600")
    context.units[city.name] = city
    for name, kind, code in COUNTY_LEVEL:
        county = services.create_unit(actor, name=name, kind=kind, parent=city, code=code)
        context.units[name] = county
        townships = NAMED.get(name) or {
            (f"{name[:2]}{township}", "town" if township.endswith("镇") else "subdistrict"): [
                (f"{name[:2]}{village}", "community" if village.endswith("社区") else "village", [])
                for village in GENERATED_VILLAGES
            ]
            for township in GENERATED_TOWNSHIPS
        }
        for (township_name, township_kind), grassroots in townships.items():
            township = services.create_unit(
                actor, name=township_name, kind=township_kind, parent=county
            )
            context.units.setdefault(township_name, township)
            for grassroots_name, grassroots_kind, leaves in grassroots:
                unit = services.create_unit(
                    actor, name=grassroots_name, kind=grassroots_kind, parent=township
                )
                context.units.setdefault(grassroots_name, unit)
                for leaf_name, leaf_kind in leaves:
                    leaf = services.create_unit(actor, name=leaf_name, kind=leaf_kind, parent=unit)
                    context.units.setdefault(leaf_name, leaf)
    context.log(f"  {len(context.units)} units")
