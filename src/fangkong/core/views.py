from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Each role's home: the links its roles allow (from the navigation registry)."""
    return render(request, "core/home.html", {"roles": request.user.roles()})
