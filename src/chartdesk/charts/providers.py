"""The link between a user account and the provider record of the legal record, registered with
accounts (accounts.actions.register_provider_linker) from ChartsConfig.ready."""

from __future__ import annotations

from typing import Any

from chartdesk.accounts.actions import NPI_INVALID, PROVIDER_TAKEN, NewProvider, split_name
from chartdesk.charts.models import Provider
from chartdesk.core.errors import ChartdeskError
from chartdesk.core.npi import npi_is_valid


def link_provider_to_user(user: Any, provider: Any, full_name: str) -> Any:
    """Link `user` to an existing provider record, or create one from a NewProvider (NPI checked),
    inside the caller's transaction (do_create_user, which audits it)."""
    if isinstance(provider, NewProvider):
        npi = provider.npi.strip()
        if not npi_is_valid(npi):
            raise ChartdeskError(NPI_INVALID.format(npi=npi), field="npi")
        given, family = split_name(full_name)
        return Provider.objects.create(
            user=user,
            given_name=given or user.get_username(),
            family_name=family,
            credentials=provider.credentials.strip(),
            specialty=provider.specialty.strip(),
            npi=npi,
        )
    linked = Provider.objects.select_for_update().get(pk=provider.pk)
    if linked.user_id is not None and linked.user_id != user.pk:
        raise ChartdeskError(PROVIDER_TAKEN.format(username=getattr(linked.user, "username", "")), field="provider")
    linked.user = user
    linked.save(update_fields=["user"])
    return linked
