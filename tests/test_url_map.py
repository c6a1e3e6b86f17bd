"""Walk the whole URL map: every view declares a permission, anonymous users are sent to log in,
and no role can reach a restricted patient's records by guessing ids."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from chartdesk.core.permissions import PUBLIC
from chartdesk.interop.fhir.http import BEARER_TOKEN
from tests.support import factories

RECORD_KWARGS = {
    "patient_id", "document_id", "encounter_id", "version_id", "addendum_id",
    "duplicate_id", "merge_id",
    "request_id", "packet_id", "amendment_id", "restriction_id", "accounting_id",
    "query_id",
}


def walk(resolver: URLResolver, prefix: str = "") -> list[tuple[str, URLPattern]]:
    found: list[tuple[str, URLPattern]] = []
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            found += walk(entry, prefix + str(entry.pattern))
        else:
            found.append((prefix + str(entry.pattern), entry))
    return found


def chartdesk_patterns() -> list[tuple[str, URLPattern]]:
    return [
        (route, pattern)
        for route, pattern in walk(get_resolver())
        if pattern.callback.__module__.startswith("chartdesk.") and not route.startswith("static/")
    ]


def fill(route: str, values: dict[str, Any]) -> str:
    """Turn a route like 'charts/patient/<int:patient_id>/' into a path with real ids."""
    import re

    def replace(match: re.Match[str]) -> str:
        name = match.group(2)
        return str(values.get(name, 1))

    return "/" + re.sub(r"<(?:(\w+):)?(\w+)>", replace, route)


def test_every_view_declares_a_permission():
    undeclared = [
        route for route, pattern in chartdesk_patterns() if not getattr(pattern.callback, "chartdesk_permission", "")
    ]
    assert undeclared == []


@pytest.mark.django_db
def test_anonymous_visitors_are_sent_to_the_login_page_everywhere(client):
    for route, pattern in chartdesk_patterns():
        if pattern.callback.chartdesk_permission == PUBLIC:
            continue
        path = fill(route, {})
        response = client.get(path)
        if pattern.callback.chartdesk_permission == BEARER_TOKEN:
            # The FHIR API answers programs, not people: 401 with a bearer challenge, no redirect.
            assert response.status_code == 401, path
            assert response["WWW-Authenticate"].startswith("Bearer"), path
            continue
        assert response.status_code == 302, path
        assert response["Location"].startswith("/accounts/login/"), path


def _restricted_records() -> dict[str, Any]:
    from chartdesk.charts.actions import do_add_addendum, do_create_note, do_sign_document
    from chartdesk.charts.models import DocumentType
    from chartdesk.patients.actions import do_set_restriction
    from chartdesk.patients.merge_actions import do_merge_patients

    him = factories.make_user("him_manager")
    provider_user = factories.make_user("provider")
    provider = factories.make_provider(user=provider_user)
    secret = factories.make_patient("Vera", "Important")

    encounter = factories.make_encounter(secret, acting_user=him)
    document = do_create_note(
        secret,
        document_type=DocumentType.PROGRESS_NOTE,
        title="Visit",
        text="Confidential text",
        service_date=timezone.localdate() - timedelta(days=1),
        acting_user=provider_user,
        encounter=encounter,
        author=provider,
    )
    do_sign_document(document, acting_user=provider_user)
    addendum = do_add_addendum(document, text="Later note", acting_user=provider_user)
    disclosure_ids = _disclosure_records(secret, document)
    secret_duplicate = factories.make_patient("Vera", "Importante")
    merge = do_merge_patients(secret, secret_duplicate, reason="Same person", acting_user=him)
    query = _coding_query(encounter, provider, him)
    do_set_restriction(secret, restriction="vip", note="board member", acting_user=him)
    do_set_restriction(secret_duplicate, restriction="vip", note="board member", acting_user=him)
    secret.refresh_from_db()
    document.refresh_from_db()
    return {
        "patient_id": secret.pk,
        "document_id": document.pk,
        "encounter_id": encounter.pk,
        "version_id": document.current_version_id,
        "addendum_id": addendum.pk,
        **disclosure_ids,
        "duplicate_id": secret_duplicate.pk,
        "merge_id": merge.pk,
        "query_id": query.pk,
    }


def _disclosure_records(secret: Any, document: Any) -> dict[str, int]:
    """A released request with its packet, an amendment, a restriction and an accounting request."""
    from chartdesk.disclosures.accounting import do_request_accounting
    from chartdesk.disclosures.amendments import do_request_amendment, do_request_restriction
    from tests.disclosures.helpers import release

    roi = factories.make_user("roi")
    privacy = factories.make_user("privacy_officer")
    packet = release(secret, roi, requester_type="provider", requester_name="Dr Lee", purpose="treatment")
    amendment = do_request_amendment(document, requested_change="Wrong allergy", acting_user=privacy)
    restriction = do_request_restriction(secret, kind="other", description="Not to my employer", acting_user=privacy)
    accounting = do_request_accounting(secret, acting_user=privacy)
    return {"request_id": packet.request_id, "packet_id": packet.pk, "amendment_id": amendment.pk,
            "restriction_id": restriction.pk, "accounting_id": accounting.pk}


def _coding_query(encounter: Any, provider: Any, him: Any) -> Any:
    """The encounter finished, in coding, and on hold for a query to its author."""
    from chartdesk.charts.actions import do_finish_encounter
    from chartdesk.coding.workflow.actions import do_send_query, do_start_coding

    do_finish_encounter(encounter, acting_user=him)
    case = do_start_coding(encounter, acting_user=factories.make_user("coder"))
    return do_send_query(case, provider=provider, template="abnormal_finding", indicators="Confidential text",
                         acting_user=case.assigned_to)


def _row_counts() -> dict[str, int]:
    from django.apps import apps

    return {
        model._meta.label: model.objects.count()
        for model in apps.get_models()
        if model._meta.app_label in {"patients", "charts", "disclosures", "coding_workflow"}
    }


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["registrar", "coder", "billing", "roi", "transcriptionist", "provider",
                                  "him_manager", "privacy_officer", "administrator"])
def test_no_role_reaches_a_restricted_patients_records_by_id(role, client_for):
    ids = _restricted_records()
    user = factories.make_user(role)
    client = client_for(user)
    before = _row_counts()
    for route, pattern in chartdesk_patterns():
        if not set(pattern.pattern.converters) & RECORD_KWARGS:
            continue
        path = fill(route, ids)
        for method in ("get", "post"):
            response = getattr(client, method)(path)
            if response.status_code == 302:
                # Users who may break the glass are offered that page, and nothing else.
                assert "/break-the-glass/" in response["Location"], (role, method, path)
            else:
                assert response.status_code in {403, 404, 405}, (role, method, path, response.status_code)
                assert b"Confidential text" not in response.content
    assert _row_counts() == before
