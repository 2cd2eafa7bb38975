from typing import Any

from django.http import HttpRequest

from fangkong.core.navigation import links_for


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    return {"nav_links": links_for(user) if user is not None else []}
