"""Core pages, and what every app's pages check first."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from fangkong.core.scoping import Scope, scope_for_user


def require(request: HttpRequest, capability: str) -> None:
    """403 unless the user holds `capability` somewhere."""
    if not request.user.can(capability):
        raise PermissionDenied


def scope_or_403(request: HttpRequest, capability: str) -> Scope:
    """The user's scope for `capability`; 403 when they hold it nowhere."""
    require(request, capability)
    return scope_for_user(request.user, capability)


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Each role's home: the links its roles allow (from the navigation registry)."""
    return render(request, "core/home.html", {"roles": request.user.roles()})
