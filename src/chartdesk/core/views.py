from __future__ import annotations

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from chartdesk.accounts.roles import ROLES_BY_SLUG, role_of
from chartdesk.core.permissions import public, signed_in


@signed_in
def home(request: HttpRequest) -> HttpResponse:
    """Each role's home page: the work that role does, first."""
    role = ROLES_BY_SLUG.get(role_of(request.user))
    return render(request, "core/home.html", {"role": role})


@public
def healthz(request: HttpRequest) -> HttpResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "core/not_found.html", status=404)


def forbidden(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "core/forbidden.html", status=403)


def server_error(request: HttpRequest) -> HttpResponse:
    return render(request, "core/server_error.html", status=500)
