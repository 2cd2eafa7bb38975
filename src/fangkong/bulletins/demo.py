"""Demo: the source page's vaccination bulletin, issued by the command
office's demo user, so the archive opens on it."""

from __future__ import annotations

import datetime
import zoneinfo

from fangkong.bulletins.services import issue_bulletin
from fangkong.core.audit import Actor
from fangkong.core.demo_support import DemoContext

SOURCE_CUTOFF = datetime.datetime(2021, 8, 12, 18, 0, tzinfo=zoneinfo.ZoneInfo("Asia/Shanghai"))


def build(context: DemoContext) -> None:
    commander = context.users.get("commander")
    actor = Actor.for_user(commander[0]) if commander else context.actor
    bulletin = issue_bulletin(
        actor, "vaccination", as_of=SOURCE_CUTOFF, under=context.unit("周口市")
    )
    context.log(f"  issued: {bulletin}")
