"""Cadre and office pages: rounds, coverage down to the household, the
door-to-door list, the retest and resample lists, site rates."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from fangkong.core.audit import Actor
from fangkong.core.exports import download
from fangkong.core.scoping import Scope, scope_for_user
from fangkong.core.views import scope_or_403
from fangkong.regions.models import Unit
from fangkong.testing import exports, queries, services
from fangkong.testing.models import Round

CAPABILITY = "testing.view"
PAGE_SIZE = 200


def _round(request: HttpRequest, round_id: int) -> tuple[Round, Scope]:
    scope = scope_or_403(request, CAPABILITY)
    return queries.get_round_for_scope(scope, round_id), scope


def _unit_in(testing_round: Round, scope: Scope, unit_id: int) -> Unit:
    """A unit both in the scope and in the round; 404 otherwise."""
    unit = Unit.objects.for_scope(scope).filter(pk=unit_id).first()
    if unit is None or not Scope.of_units(queries.round_units(testing_round)).contains(unit):
        raise Http404
    return unit


@login_required
def round_list(request: HttpRequest) -> HttpResponse:
    rounds = queries.rounds_for_scope(scope_or_403(request, CAPABILITY)).prefetch_related("units")
    return render(request, "testing/rounds.html", {"rounds": rounds})


@login_required
def round_detail(request: HttpRequest, round_id: int) -> HttpResponse:
    testing_round, scope = _round(request, round_id)
    rows = queries.unit_coverage(testing_round, scope, depth=1)
    return render(
        request,
        "testing/round.html",
        {
            "round": testing_round,
            "rows": rows,
            "rates": queries.site_rates(testing_round, scope),
        },
    )


@login_required
def unit_detail(request: HttpRequest, round_id: int, unit_id: int) -> HttpResponse:
    """One unit: its figures, its children's, and its households'."""
    testing_round, scope = _round(request, round_id)
    unit = _unit_in(testing_round, scope, unit_id)
    rows = queries.unit_coverage(testing_round, scope, unit, depth=1)
    households = (
        queries.household_coverage(testing_round, scope, unit)
        if rows and rows[0].children == 0
        else []
    )
    return render(
        request,
        "testing/unit.html",
        {
            "round": testing_round,
            "unit": unit,
            "path": list(Unit.objects.ancestors(unit)),
            "rows": rows,
            "households": households,
        },
    )


@login_required
def not_sampled_list(request: HttpRequest, round_id: int, unit_id: int) -> HttpResponse:
    """The door-to-door list (不漏一户、不漏一人), on screen or exported."""
    testing_round, scope = _round(request, round_id)
    unit = _unit_in(testing_round, scope, unit_id)
    people = queries.not_sampled(testing_round, scope, unit)
    fmt = request.GET.get("format")
    if fmt in exports.FORMATS:
        response = download(fmt, f"{testing_round.name}-{unit.name}-{_('not sampled')}")
        exports.write_not_sampled(people.iterator(chunk_size=2000), response, fmt)
        return response
    page = Paginator(people, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "testing/not_sampled.html",
        {"round": testing_round, "unit": unit, "page": page},
    )


@login_required
def coverage_export(request: HttpRequest, round_id: int, fmt: str) -> HttpResponse:
    testing_round, scope = _round(request, round_id)
    if fmt not in ("json", *exports.FORMATS):
        raise Http404
    rows = queries.unit_coverage(testing_round, scope)
    response = download(fmt, f"{testing_round.name}-{_('coverage')}")
    exports.write_coverage(rows, response, fmt)
    return response


@login_required
def follow_up(request: HttpRequest, round_id: int, kind: str) -> HttpResponse:
    """The retest list of positive pools (or the resample list of invalid
    tubes), per community, printable and exportable. Phones are clear for
    roles that may see them (and the view is audit-logged), masked else."""
    testing_round, scope = _round(request, round_id)
    if kind not in (queries.RETEST, queries.RESAMPLE):
        raise Http404
    groups, phones = services.follow_up_list(
        Actor.for_user(request.user),
        testing_round,
        scope,
        kind,
        reveal=scope_for_user(request.user, "people.reveal"),
    )
    title = _("Retest list") if kind == queries.RETEST else _("Resample list")
    fmt = request.GET.get("format")
    if fmt in exports.FORMATS:
        response = download(fmt, f"{testing_round.name}-{title}")
        exports.write_follow_up(groups, phones, response, fmt, title)
        return response
    return render(
        request,
        "testing/follow_up.html",
        {
            "round": testing_round,
            "kind": kind,
            "title": title,
            "sections": [
                (group, list(exports.follow_up_rows([group], phones))) for group in groups
            ],
            "count": sum(len(group.samples) for group in groups),
            "revealed": bool(phones),
        },
    )
