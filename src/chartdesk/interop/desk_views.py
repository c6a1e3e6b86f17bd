"""Desk pages for administrators: the API clients, registering one (its secret shown once),
revoking one. Views stay thin: registration and revocation are actions in tokens.py."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from chartdesk.core.errors import ChartdeskError
from chartdesk.core.permissions import requires
from chartdesk.interop.forms import ApiClientForm
from chartdesk.interop.models import ApiClient
from chartdesk.interop.tokens import do_register_api_client, do_revoke_api_client

MANAGE = "interop.manage_api_clients"


@requires(MANAGE)
def clients_view(request: HttpRequest) -> HttpResponse:
    """Every API client, whom it acts as, its scopes and how many live tokens it holds."""
    live = Q(tokens__revoked_at__isnull=True, tokens__expires_at__gt=timezone.now())
    clients = (ApiClient.objects.select_related("user", "patient")
               .annotate(live_tokens=Count("tokens", filter=live)).order_by("-active", "name"))
    return render(request, "interop/clients.html", {"clients": clients})


@requires(MANAGE)
def client_create_view(request: HttpRequest) -> HttpResponse:
    form = ApiClientForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            client, secret = do_register_api_client(
                form.cleaned_data["name"], user=form.cleaned_data["acts_as"], scopes=form.cleaned_data["scopes"],
                patient=form.cleaned_data["patient_mrn"], acting_user=request.user)
        except ChartdeskError as refusal:
            form.add_error(refusal.field if refusal.field in ("name",) else None, refusal.message)
        else:
            # The secret is shown on this answer only (pages are no-store); only its digest is kept.
            return render(request, "interop/client_created.html", {"client": client, "secret": secret})
    return render(request, "interop/client_form.html", {"form": form}, status=400 if form.errors else 200)


@requires(MANAGE)
@require_POST
def client_revoke_view(request: HttpRequest, client_id: int) -> HttpResponse:
    client = ApiClient.objects.filter(pk=client_id).first()
    if client is None:
        raise Http404("No such client.")
    do_revoke_api_client(client, acting_user=request.user)
    messages.success(request, f"{client.name} can no longer call the API; its tokens are revoked.")
    return redirect("interop-clients")
