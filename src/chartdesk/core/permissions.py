"""Every view declares the permission it needs; a test walks the URL map to make sure. Every action
checks it again with `require_permission`.

`requires("app.codename")` checks the log-in and the permission and marks the view with it.
`signed_in` marks views any logged-in user may open (home, MFA set-up); `public` marks the few
that need no log-in (the log-in page itself, the health check).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from chartdesk.core.errors import PermissionRefused
from chartdesk.core.registry import record_audit_event

PUBLIC = "public"
SIGNED_IN = "signed-in"

ViewFunc = Callable[..., HttpResponse]

NOT_ALLOWED = "You do not have permission to {what}."
NOT_ALLOWED_NAMED = "You do not have the permission this needs ({permission})."


def require_permission(user: Any, permission: str, what: str | None = None) -> None:
    """Refuse an action to anyone but a signed-in user holding `permission`: the message says what
    they may not do (`what`), or names the permission when the caller has no better words."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.has_perm(permission):
        refusal = NOT_ALLOWED_NAMED.format(permission=permission) if what is None else NOT_ALLOWED.format(what=what)
        raise PermissionRefused(refusal)


def _mark(view: ViewFunc, permission: str) -> ViewFunc:
    view.chartdesk_permission = permission  # type: ignore[attr-defined]
    return view


def record_refusal(request: HttpRequest, permissions: tuple[str, ...]) -> None:
    """A signed-in user was refused a page for want of a permission: put it on the record (a user
    trying pages beyond their role is what an access review looks for)."""
    match = request.resolver_match
    record_audit_event("access_denied", user=request.user, object_type="page",
                       object_id=(match.view_name if match else "")[:60], outcome="denied",
                       detail={"why": "missing permission", "permissions": list(permissions),
                               "method": request.method, "path": request.path[:300]})


def requires(*permissions: str) -> Callable[[ViewFunc], ViewFunc]:
    """Allow the view only to a signed-in user holding every named permission."""

    def decorate(view: ViewFunc) -> ViewFunc:
        @wraps(view)
        def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not request.user.has_perms(permissions):
                record_refusal(request, permissions)
                return render(request, "core/forbidden.html", {"permissions": permissions}, status=403)
            return view(request, *args, **kwargs)

        return _mark(guarded, " ".join(permissions))

    return decorate


def requires_any(*permissions: str) -> Callable[[ViewFunc], ViewFunc]:
    """Allow the view to a signed-in user holding at least one of the named permissions (a report
    that the manager, and the coder or biller for their own part, may each open)."""

    def decorate(view: ViewFunc) -> ViewFunc:
        @wraps(view)
        def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not any(request.user.has_perm(permission) for permission in permissions):
                record_refusal(request, permissions)
                return render(request, "core/forbidden.html", {"permissions": permissions}, status=403)
            return view(request, *args, **kwargs)

        return _mark(guarded, " | ".join(permissions))

    return decorate


def signed_in(view: ViewFunc) -> ViewFunc:
    @wraps(view)
    def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        return view(request, *args, **kwargs)

    return _mark(guarded, SIGNED_IN)


def public(view: ViewFunc) -> ViewFunc:
    return _mark(view, PUBLIC)
