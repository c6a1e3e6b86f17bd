"""The sensitivity control on the request worksheet: it starts from the document's current labels
(never from the first category of the list) and shows labels as words."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

import pytest

from chartdesk.audit.models import AuditEvent
from chartdesk.disclosures.actions import do_label_document, do_log_request
from chartdesk.disclosures.models import DocumentSensitivity, SensitiveCategory
from tests.disclosures.helpers import PATIENT_ACCESS


class LabelForms(HTMLParser):
    """What each document's label form would post if submitted untouched, as a browser fills it in."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, Any]] = []
        self.current: dict[str, Any] | None = None
        self.select: dict[str, Any] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "form" and (attributes.get("action") or "").endswith("/label/"):
            self.current = {"document": None, "values": []}
            self.forms.append(self.current)
        if self.current is None:
            return
        if tag == "input" and attributes.get("name") == "document":
            self.current["document"] = int(attributes["value"] or 0)
        elif tag == "input" and attributes.get("type") == "checkbox" and "checked" in attributes:
            self.current["values"].append(attributes["value"])
        elif tag == "select":
            self.select = {"options": [], "selected": None}
        elif tag == "option" and self.select is not None:
            self.select["options"].append(attributes.get("value"))
            if "selected" in attributes:
                self.select["selected"] = attributes.get("value")

    def handle_endtag(self, tag: str) -> None:
        if tag == "select" and self.select is not None and self.current is not None:
            # A select with no option marked selected submits its first option.
            chosen = self.select["selected"] or (self.select["options"] or [None])[0]
            if chosen:
                self.current["values"].append(chosen)
            self.select = None
        if tag == "form":
            self.current = None


def defaults_by_document(page: str) -> dict[int, list[str]]:
    parser = LabelForms()
    parser.feed(page)
    return {form["document"]: sorted(form["values"]) for form in parser.forms}


@pytest.fixture
def worksheet(chart, roi, client_for):
    do_label_document(chart["lab"], category=SensitiveCategory.SUBSTANCE_USE, acting_user=roi)
    request = do_log_request(chart["patient"], acting_user=roi, **PATIENT_ACCESS)
    client = client_for(roi)
    return client, request, f"/disclosures/requests/{request.pk}/"


def test_the_control_starts_from_the_current_label_or_none_never_psychotherapy(chart, worksheet):
    client, _, url = worksheet
    defaults = defaults_by_document(client.get(url).content.decode())
    assert defaults[chart["lab"].pk] == ["part2"]
    assert defaults[chart["summary"].pk] == []
    assert defaults[chart["old_note"].pk] == []


def test_saving_the_control_untouched_changes_nothing(chart, worksheet):
    client, _, url = worksheet
    page = client.get(url).content.decode()
    for document_id, values in defaults_by_document(page).items():
        client.post(f"{url}label/", {"document": document_id, "categories": values})
    labels = DocumentSensitivity.objects.filter(removed_at__isnull=True)
    assert list(labels.values_list("document_id", "category")) == [(chart["lab"].pk, "part2")]
    assert not AuditEvent.objects.filter(detail__has_key="sensitivity_added").exclude(
        detail__sensitivity_added="part2").exists()


def test_labels_show_as_words_not_slugs(chart, roi, worksheet, authorization_for):
    client, _, _ = worksheet
    authorization_for(chart["patient"], sensitive_categories=["hiv_sti", "part2"])
    request = do_log_request(chart["patient"], requester_type="attorney", requester_name="Harbor Life Insurance Co.",
                             purpose="insurance", acting_user=roi)
    page = client.get(f"/disclosures/requests/{request.pk}/").content.decode()
    assert '<span class="sensitivity">Substance use disorder records (42 CFR Part 2)</span>' in page
    assert "HIV and sexually transmitted infections, Substance use disorder records (42 CFR Part 2)" in page
    assert ">part2<" not in page and "hiv_sti," not in page and ">hiv_sti<" not in page


def test_the_specialist_changes_and_clears_a_label_and_each_change_is_audited(chart, worksheet):
    client, _, url = worksheet
    response = client.post(f"{url}label/", {"document": chart["lab"].pk, "categories": ["genetic"]}, follow=True)
    assert "Basic metabolic panel: sensitivity Genetic information." in response.content.decode()
    assert list(DocumentSensitivity.objects.filter(removed_at__isnull=True).values_list("category", flat=True)) == [
        "genetic"]
    client.post(f"{url}label/", {"document": chart["lab"].pk})
    assert not DocumentSensitivity.objects.filter(removed_at__isnull=True).exists()
    assert DocumentSensitivity.objects.count() == 2  # the history stays
    changes = [(event.detail.get("sensitivity_added"), event.detail.get("sensitivity_removed"))
               for event in AuditEvent.objects.filter(object_type="document", object_id=str(chart["lab"].pk))
               .order_by("id") if "sensitivity_added" in event.detail or "sensitivity_removed" in event.detail]
    assert changes == [("part2", None), (None, "part2"), ("genetic", None), (None, "genetic")]


def test_an_unknown_category_is_refused_and_changes_nothing(chart, worksheet):
    client, _, url = worksheet
    response = client.post(f"{url}label/", {"document": chart["lab"].pk, "categories": ["astrology"]}, follow=True)
    assert "Choose the sensitivity from the list." in response.content.decode()
    assert list(DocumentSensitivity.objects.filter(removed_at__isnull=True).values_list("category", flat=True)) == [
        "part2"]


@pytest.mark.parametrize("role", ["registrar", "coder", "billing", "provider", "privacy_officer", "administrator"])
def test_other_roles_cannot_change_a_label_on_the_worksheet(role, chart, users, client_for, worksheet):
    _, _, url = worksheet
    response = client_for(users[role]).post(f"{url}label/", {"document": chart["lab"].pk})
    assert response.status_code in (403, 404)
    assert DocumentSensitivity.objects.filter(removed_at__isnull=True).count() == 1
