"""The metrics every app offers in `<app>/metrics.py` (METRICS), by key."""

from __future__ import annotations

from functools import cache

from fangkong.core.discovery import app_modules
from fangkong.core.metrics import Metric


@cache
def metrics() -> dict[str, Metric]:
    found: dict[str, Metric] = {}
    for _label, module in app_modules("metrics"):
        for metric in getattr(module, "METRICS", []):
            if metric.key in found:
                raise ValueError(f"metric {metric.key} is defined twice")
            found[metric.key] = metric
    return found


def metric(key: str) -> Metric:
    try:
        return metrics()[key]
    except KeyError:
        raise KeyError(f"no app offers the metric {key!r}") from None
