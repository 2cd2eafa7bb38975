"""Pass-code pages: staff find a person, issue or reissue their code and
hand out the personal link; they print A4 sheets of code cards for a
household or a whole compound (PDF or a print-ready page). Residents open
their own code through the personal link, without an account."""

from __future__ import annotations

import io

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fangkong.checkpoints import printing, queries, services
from fangkong.checkpoints.forms import PrintForm
from fangkong.core.audit import Actor
from fangkong.core.exports import download
from fangkong.core.scoping import get_for_scope_or_404
from fangkong.core.views import scope_or_403
from fangkong.people.models import Household
from fangkong.people.queries import get_person_for_scope, people_for_scope, search_people
from fangkong.regions.queries import get_unit_for_scope

CAPABILITY = "checkpoints.manage"
MAX_PRINT = 5000


@login_required
def codes(request: HttpRequest) -> HttpResponse:
    scope = scope_or_403(request, CAPABILITY)
    query = request.GET.get("q", "").strip()
    people = list(search_people(scope, query)[:50]) if query else None
    return render(request, "checkpoints/codes.html", {"query": query, "people": people})


@login_required
def person_code(request: HttpRequest, person_id: int) -> HttpResponse:
    person = get_person_for_scope(scope_or_403(request, CAPABILITY), person_id)
    pass_code = getattr(person, "pass_code", None)
    context = {"person": person, "pass_code": pass_code}
    if pass_code is not None:
        code = services.code_for(pass_code)
        token = queries.personal_link_token(pass_code)
        context.update(
            code=code,
            svg=printing.svg(code, scale=5),
            link=request.build_absolute_uri(reverse("checkpoints:my_code", args=[token])),
        )
    return render(request, "checkpoints/person_code.html", context)


@login_required
@require_POST
def issue_code(request: HttpRequest, person_id: int) -> HttpResponse:
    person = get_person_for_scope(scope_or_403(request, CAPABILITY), person_id)
    reissue = request.POST.get("reissue") == "1"
    services.issue_pass_code(Actor.for_user(request.user), person, reissue=reissue)
    messages.success(
        request,
        _("A new code was issued; the old one no longer works.") if reissue else _("Code issued."),
    )
    return redirect("checkpoints:person_code", person_id=person.pk)


def my_code(request: HttpRequest, token: str) -> HttpResponse:
    """A resident's own code, through their personal link (no account)."""
    pass_code = queries.pass_code_for_link(token)
    code = services.code_for(pass_code)
    return render(
        request,
        "checkpoints/my_code.html",
        {
            "person": pass_code.person,
            "pass_code": pass_code,
            "svg": printing.svg(code, scale=6),
            "token": token,
        },
    )


def my_code_png(request: HttpRequest, token: str) -> HttpResponse:
    pass_code = queries.pass_code_for_link(token)
    response = download("png", "pass-code", printing.png(services.code_for(pass_code)))
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def print_sheet(request: HttpRequest) -> HttpResponse:
    """Code cards for a household or a whole unit (compound, village)."""
    scope = scope_or_403(request, CAPABILITY)
    form = PrintForm(request.GET)
    if not form.is_valid():
        raise Http404
    data = form.cleaned_data
    people = people_for_scope(scope)
    if data["household"]:
        households = Household.objects.select_related("unit")
        household = get_for_scope_or_404(households, scope, pk=data["household"])
        people = people.filter(household=household)
        title = f"{household.unit.name} {household.label}"
    elif data["unit"]:
        unit = get_unit_for_scope(scope, code=data["unit"].strip())
        people = people.filter(home_unit__path__startswith=unit.path)
        title = unit.name
    else:
        return render(request, "checkpoints/print_choose.html")
    if data["only_without_smartphone"]:
        people = people.filter(has_smartphone=False)
    people = list(people.order_by("home_unit__path", "household__label", "name")[: MAX_PRINT + 1])
    if len(people) > MAX_PRINT:
        messages.error(request, _("Too many people for one print run; choose a smaller unit."))
        return redirect("checkpoints:codes")
    issued = services.issue_pass_codes(Actor.for_user(request.user), people)
    cards = [
        printing.Card(
            code=services.code_for(issued[person.pk]),
            name=person.name,
            lines=(
                person.household.label if person.household else person.home_unit.name,
                person.masked_id_number,
            ),
        )
        for person in people
    ]
    title = _("Pass codes · %(title)s") % {"title": title}
    if data["format"] == "pdf":
        out = io.BytesIO()
        printing.cards_pdf(title, cards, out)
        return download("pdf", "pass-codes", out.getvalue(), disposition="inline")
    return render(
        request,
        "checkpoints/print_cards.html",
        {"title": title, "cards": [(card, printing.svg(card.code, scale=3)) for card in cards]},
    )
