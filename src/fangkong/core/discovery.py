"""Finding what each Fangkong app contributes (pages, API routers, menu links,
demo data) by module name, so adding an app touches no shared file but
settings.INSTALLED_APPS."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from types import ModuleType

from django.apps import apps


def fangkong_apps() -> list:
    return [config for config in apps.get_app_configs() if config.name.startswith("fangkong.")]


def app_modules(module_name: str) -> Iterator[tuple[str, ModuleType]]:
    """(app label, module) for every Fangkong app that has `<app>.<module_name>`."""
    for config in fangkong_apps():
        qualified = f"{config.name}.{module_name}"
        try:
            module = importlib.import_module(qualified)
        except ModuleNotFoundError as error:
            if error.name != qualified:
                raise
            continue
        yield config.label, module
