"""Demo users: one per role, at the units the source page names."""

from __future__ import annotations

import secrets

from fangkong.accounts import services
from fangkong.core.demo_support import DemoContext

DEMO_USERS = [
    ("commander", "指挥部值班员", "commander", "周口市"),
    ("admin_shifan", "示范区管理员", "unit_admin", "示范区"),
    ("cadre_shenghe", "盛和家园网格员", "cadre", "盛和家园"),
    ("cadre_zhangbukou", "张埠口村干部", "cadre", "张埠口村"),
    ("gate_shenghe", "张书轩", "gate_staff", "盛和家园"),
    ("sampler_lianmeng", "联盟新城采样员", "sampler", "联盟新城"),
    ("lab_city", "市检测实验室", "lab_technician", "周口市"),
    ("vaccinator_chuanhui", "川汇区接种点", "vaccinator", "川汇区"),
    ("school_chengnan", "城南实验学校报告员", "school_reporter", "城南实验学校"),
    ("inspector_fugou", "扶沟县督查组", "inspector", "扶沟县"),
    ("donations_shangshui", "商水县捐赠登记员", "donations_clerk", "商水县"),
    ("hotline_city", "指挥中心坐席", "hotline_agent", "周口市"),
]


def build(context: DemoContext) -> None:
    for username, display_name, role, unit_name in DEMO_USERS:
        password = context.password or secrets.token_urlsafe(9)
        user = services.create_user(
            context.actor, username=username, password=password, display_name=display_name
        )
        services.assign_role(context.actor, user, role, context.unit(unit_name))
        context.users[username] = (user, password)
