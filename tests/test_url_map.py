"""Walk the whole URL map: every view declares a permission, anonymous users are sent to log in,
and no role can reach a restricted patient's records by guessing ids."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from chartdesk.core.permissions import PUBLIC
from tests.support import factories

RECORD_KWARGS = {"patient_id", "document_id", "encounter_id", "version_id", "addendum_id", "deficiency_id",
                 "chart_id", "scan_id"}


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
        assert response.status_code == 302, path
        assert response["Location"].startswith("/accounts/login/"), path


def _restricted_records() -> dict[str, Any]:
    from chartdesk.charts.actions import do_add_addendum, do_create_note, do_sign_document
    from chartdesk.charts.models import DocumentType
    from chartdesk.patients.actions import do_set_restriction

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
    deficiency = _restricted_deficiency(encounter, provider, him)
    paper_chart, scan = _restricted_paper(secret, him)
    do_set_restriction(secret, restriction="vip", note="board member", acting_user=him)
    secret.refresh_from_db()
    document.refresh_from_db()
    return {
        "patient_id": secret.pk,
        "document_id": document.pk,
        "encounter_id": encounter.pk,
        "version_id": document.current_version_id,
        "addendum_id": addendum.pk,
        "deficiency_id": deficiency.pk,
        "chart_id": paper_chart.pk,
        "scan_id": scan.pk,
    }


def _restricted_paper(secret: Any, him: Any) -> tuple[Any, Any]:
    import io

    from pypdf import PdfWriter

    from chartdesk.filing.actions import do_create_file_room, do_create_paper_chart
    from chartdesk.filing.scanning import do_index_scanned_document, do_split_batch, do_upload_scan_batch

    room = do_create_file_room(facility="General", name="Main", filing_system="terminal-digit", acting_user=him)
    paper_chart = do_create_paper_chart(secret, file_room=room, acting_user=him)
    writer = PdfWriter()
    writer.add_blank_page(width=612, height=792)
    pdf = io.BytesIO()
    writer.write(pdf)
    pdf.seek(0)
    batch = do_upload_scan_batch(pdf, name="batch.pdf", acting_user=him)
    [scan] = do_split_batch(batch, starts="1", acting_user=him)
    do_index_scanned_document(scan, patient=secret, document_type="34109-9", title="Confidential scan",
                              service_date=timezone.localdate(), acting_user=him)
    return paper_chart, scan


def _restricted_deficiency(encounter: Any, provider: Any, him: Any) -> Any:
    from chartdesk.charts.actions import do_finish_encounter
    from chartdesk.completion.analysis import analyse_encounter
    from chartdesk.completion.models import Deficiency, DeficiencyRule

    DeficiencyRule.objects.create(code="visit-consult", name="Consult note", kind="required_document",
                                  document_type="11488-4", anchor="admission", hours_after=24)
    do_finish_encounter(encounter, acting_user=him)
    analyse_encounter(encounter)
    return Deficiency.objects.get(encounter=encounter, rule__code="visit-consult")


def _row_counts() -> dict[str, int]:
    from django.apps import apps

    return {
        model._meta.label: model.objects.count()
        for model in apps.get_models()
        if model._meta.app_label in {"patients", "charts", "completion", "filing"}
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
