"""Menu links: each app lists its pages in `<app>/navigation.py` as LINKS; the
home page and the menu show a user the links their roles allow."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.urls import NoReverseMatch, reverse

from fangkong.core.discovery import app_modules


@dataclass(frozen=True)
class NavLink:
    """A page in the menu, shown to users holding `capability` somewhere."""

    label: Any  # a lazy translation
    url_name: str
    capability: str
    description: Any = ""


def links_for(user: Any) -> list[dict[str, Any]]:
    if user is None or not user.is_authenticated:
        return []
    visible = []
    for _label, module in app_modules("navigation"):
        for link in getattr(module, "LINKS", []):
            if not user.can(link.capability):
                continue
            try:
                url = reverse(link.url_name)
            except NoReverseMatch:
                continue
            visible.append({"label": link.label, "url": url, "description": link.description})
    return visible
