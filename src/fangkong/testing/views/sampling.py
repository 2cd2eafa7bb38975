"""The sampler's mobile pages: pick a site, scan a tube, scan or type each
person (3/10), seal when full or on demand."""

from __future__ import annotations

import re
import uuid
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fangkong.core.audit import Actor
from fangkong.core.errors import FieldError
from fangkong.core.scoping import scope_for_user
from fangkong.core.views import scope_or_403
from fangkong.people.queries import search_people
from fangkong.testing import queries, services
from fangkong.testing.forms import PersonForm, SearchForm, TubeForm
from fangkong.testing.identify import find_person_to_sample
from fangkong.testing.models import Site, Tube

CAPABILITY = "testing.sample"
# 18 digits (or 17 and X) or 15 digits: an ID number; anything else is a pass code.
_ID_NUMBER = re.compile(r"^(\d{17}[\dXx]|\d{15})$")


def _site(request: HttpRequest, site_id: int) -> Site:
    return queries.get_site_for_scope(scope_or_403(request, CAPABILITY), site_id)


@login_required
def site_list(request: HttpRequest) -> HttpResponse:
    sites = queries.sites_for_scope(scope_or_403(request, CAPABILITY))
    return render(request, "testing/sampling_sites.html", {"sites": sites})


@login_required
def site_page(request: HttpRequest, site_id: int) -> HttpResponse:
    """Scan a new tube (or continue an open one)."""
    site = _site(request, site_id)
    form = TubeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            tube = services.open_tube(
                Actor.for_user(request.user),
                site=site,
                barcode=form.cleaned_data["barcode"],
                capacity=1 if form.cleaned_data["single"] else None,
            )
            return redirect("testing:tube", site_id=site.pk, tube_id=tube.pk)
        except FieldError as error:
            form.add_error("barcode", str(error))
    return render(
        request,
        "testing/site.html",
        {"site": site, "form": form, "open_tubes": queries.open_tubes(site)[:20]},
    )


def _panel(
    request: HttpRequest, site: Site, tube: Tube, form: PersonForm | None = None, **extra: Any
) -> HttpResponse:
    tube.refresh_from_db()
    context = {
        "site": site,
        "tube": tube,
        "samples": queries.tube_samples(tube),
        "form": form or PersonForm(initial={"client_uuid": uuid.uuid4()}),
        "search_form": SearchForm(),
        "tube_form": TubeForm(),
        **extra,
    }
    template = "testing/_tube_panel.html" if request.htmx else "testing/tube.html"
    return render(request, template, context)


@login_required
def tube_page(request: HttpRequest, site_id: int, tube_id: int) -> HttpResponse:
    site = _site(request, site_id)
    tube = queries.get_tube_for_scope(scope_or_403(request, CAPABILITY), site, tube_id)
    return _panel(request, site, tube)


@login_required
@require_POST
def add_person(request: HttpRequest, site_id: int, tube_id: int) -> HttpResponse:
    """Swab one person into the tube; a second sample in the round is
    flagged and asks for a reason."""
    site = _site(request, site_id)
    tube = queries.get_tube_for_scope(scope_or_403(request, CAPABILITY), site, tube_id)
    form = PersonForm(request.POST)
    if not form.is_valid():
        return _panel(request, site, tube, form)
    data = form.cleaned_data
    who = data["who"].strip()
    actor = Actor.for_user(request.user)
    try:
        person = find_person_to_sample(
            actor,
            scope_for_user(request.user, "people.view"),
            site_unit=site.unit,
            code=who if who and not _ID_NUMBER.match(who) and not data["person_id"] else None,
            id_number=who if _ID_NUMBER.match(who) and not data["person_id"] else None,
            person_id=data["person_id"],
            name=data["name"],
        )
        recorded = services.record_sample(
            actor,
            site=site,
            person=person,
            tube_barcode=tube.barcode,
            reason=data["reason"],
            client_uuid=data["client_uuid"],
        )
    except FieldError as error:
        # Keep what was typed; the reason box is shown when the person is flagged.
        form = PersonForm(initial={**data, "client_uuid": uuid.uuid4()})
        return _panel(request, site, tube, form, error=str(error), flagged=error.field == "reason")
    if not request.htmx:
        # Without htmx (a scan before the script loaded): post, redirect, get,
        # so that reloading the page never swabs the person twice.
        return redirect("testing:tube", site_id=site.pk, tube_id=tube.pk)
    return _panel(request, site, tube, added=recorded.sample)


@login_required
@require_POST
def seal(request: HttpRequest, site_id: int, tube_id: int) -> HttpResponse:
    site = _site(request, site_id)
    tube = queries.get_tube_for_scope(scope_or_403(request, CAPABILITY), site, tube_id)
    try:
        services.seal_tube(Actor.for_user(request.user), tube)
        messages.success(
            request,
            _("Tube %(barcode)s sealed with %(count)s samples.")
            % {"barcode": tube.barcode, "count": tube.sample_count},
        )
    except FieldError as error:
        messages.error(request, str(error))
        return redirect("testing:tube", site_id=site.pk, tube_id=tube.pk)
    return redirect("testing:site", site_id=site.pk)


@login_required
def search(request: HttpRequest, site_id: int, tube_id: int) -> HttpResponse:
    """htmx partial: the archive lookup, each result with an "add" button."""
    site = _site(request, site_id)
    tube = queries.get_tube_for_scope(scope_or_403(request, CAPABILITY), site, tube_id)
    form = SearchForm(request.GET)
    results = []
    if form.is_valid() and form.cleaned_data["q"]:
        scope = scope_for_user(request.user, "people.view")
        results = list(search_people(scope, form.cleaned_data["q"], unit=None)[:10])
    return render(
        request,
        "testing/_search_results.html",
        {
            "site": site,
            "tube": tube,
            "results": [(person, uuid.uuid4()) for person in results],
        },
    )
