"""The duplicate work list, the pair page and its decisions, overlays and the duplicate rate on the desk."""

from datetime import date

import pytest
from django.urls import reverse

from chartdesk.audit.models import AuditEvent
from chartdesk.patients.actions import do_set_restriction
from chartdesk.patients.duplicates import do_scan_duplicates
from chartdesk.patients.models import DuplicateCandidate, DuplicateStatus, MergeEvent, Patient, PatientStatus
from tests.support import factories

OTHER_ROLES = ["registrar", "coder", "billing", "roi", "transcriptionist", "provider", "privacy_officer",
               "administrator"]


@pytest.fixture
def him(db):
    return factories.make_user("him_manager", username="hannah")


@pytest.fixture
def pair(him):
    """Katherine and Kathrine Lindqvist (one person), scanned into the work list."""
    first = factories.make_patient("Katherine", "Lindqvist", date(1988, 11, 23), "F", ssn="123-45-6789")
    second = factories.make_patient("Kathrine", "Lindqvist", date(1988, 11, 23), "F", ssn="123-45-6789")
    factories.make_encounter(second, acting_user=him)
    for given, family, born in [("Ana", "Petrov", date(1950, 1, 5)), ("Tomas", "Reyes", date(1963, 8, 19)),
                                ("Grace", "Nwosu", date(1999, 2, 28))]:
        factories.make_patient(given, family, born)
    do_scan_duplicates(acting_user=him)
    return DuplicateCandidate.objects.get(), first, second


def pair_url(candidate):
    return reverse("patients-duplicate-pair", kwargs={"pair_id": candidate.pk})


def test_the_work_list_shows_pairs_by_probability_and_is_audited(pair, him, client_for):
    candidate, first, second = pair
    response = client_for(him).get(reverse("patients-duplicates"))
    assert response.status_code == 200
    text = response.content.decode()
    assert f"MRN {first.mrn} · Lindqvist, Katherine" in text and f"MRN {second.mrn} · Lindqvist, Kathrine" in text
    assert pair_url(candidate) in text
    assert f"{candidate.probability:.3f}" in text
    assert AuditEvent.objects.filter(object_type="duplicate_work_list").latest("pk").detail["results"] == 1


def test_the_pair_page_shows_the_evidence_per_field_and_both_charts_records(pair, him, client_for):
    candidate, first, second = pair
    response = client_for(him).get(pair_url(candidate))
    assert response.status_code == 200
    text = response.content.decode()
    assert '<th scope="row">Given name</th><td>typo</td>' in text
    assert '<th scope="row">SSN</th><td>exact</td>' in text
    assert "No encounters." in text  # the first chart has none; the second has its encounter listed
    assert f"MRN {second.mrn}</a>: encounters and documents" in text
    viewed = AuditEvent.objects.filter(object_type="duplicate_pair", action="view")
    assert sorted(viewed.values_list("patient_id", flat=True)) == sorted([first.pk, second.pk])


def test_merging_from_the_pair_page_uses_the_reversible_merge(pair, him, client_for):
    candidate, first, second = pair
    response = client_for(him).post(pair_url(candidate), {"decision": "merge", "merge-survivor": first.pk,
                                                          "merge-reason": "Same SSN, typo at intake"})
    assert response.status_code == 302 and response["Location"] == reverse("patients-duplicates")
    assert Patient.objects.get(pk=second.pk).status == PatientStatus.MERGED
    event = MergeEvent.objects.get()
    assert (event.survivor_id, event.retired_id, event.reason) == (first.pk, second.pk, "Same SSN, typo at intake")
    assert DuplicateCandidate.objects.get().status == DuplicateStatus.MERGED


def test_a_decision_with_missing_input_names_the_problem_and_changes_nothing(pair, him, client_for):
    candidate, _, _ = pair
    client = client_for(him)
    response = client.post(pair_url(candidate), {"decision": "not_duplicate", "not-note": " "})
    assert response.status_code == 400
    assert "Note: say why (what was checked)." in response.content.decode()
    response = client.post(pair_url(candidate), {"decision": "merge", "merge-survivor": "999999",
                                                 "merge-reason": "x"})
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    response = client.post(pair_url(candidate), {"decision": "research", "research-assigned_to": "",
                                                 "research-note": "call"})
    assert "Assign to: choose who researches it." in response.content.decode()
    response = client.post(pair_url(candidate), {"decision": "shred"})
    assert response.status_code == 400
    assert DuplicateCandidate.objects.get().status == DuplicateStatus.OPEN
    assert not MergeEvent.objects.exists()


def test_not_a_duplicate_and_needs_research_from_the_pair_page(pair, him, client_for):
    candidate, _, _ = pair
    client = client_for(him)
    colleague = factories.make_user("him_manager", username="henry")
    response = client.post(pair_url(candidate), {"decision": "research", "research-assigned_to": colleague.pk,
                                                 "research-note": "Ask the clinic"})
    assert response.status_code == 302
    candidate.refresh_from_db()
    assert (candidate.status, candidate.assigned_to) == (DuplicateStatus.RESEARCH, colleague)
    listed = client.get(reverse("patients-duplicates"), {"status": "research"}).content.decode()
    assert pair_url(candidate) in listed and "henry" in listed
    response = client.post(pair_url(candidate), {"decision": "not_duplicate", "not-note": "Sisters, IDs differ"})
    assert response.status_code == 302
    candidate.refresh_from_db()
    assert (candidate.status, candidate.note) == (DuplicateStatus.NOT_DUPLICATE, "Sisters, IDs differ")
    assert pair_url(candidate) not in client.get(reverse("patients-duplicates")).content.decode()


@pytest.mark.parametrize("role", OTHER_ROLES)
def test_other_roles_cannot_see_the_work_list_the_pairs_or_overlays(pair, role, client_for):
    candidate, _, _ = pair
    client = client_for(factories.make_user(role))
    for url in (reverse("patients-duplicates"), pair_url(candidate), reverse("charts-overlays")):
        assert client.get(url).status_code == 403, (role, url)
    assert client.post(pair_url(candidate), {"decision": "not_duplicate", "not-note": "no"}).status_code == 403
    assert DuplicateCandidate.objects.get().status == DuplicateStatus.OPEN


def test_a_pair_with_a_restricted_chart_is_hidden_from_a_manager_without_access(pair, him, client_for):
    candidate, first, _ = pair
    do_set_restriction(first, restriction="vip", note="board member", acting_user=him)
    other = factories.make_user("him_manager")
    client = client_for(other)
    assert client.get(pair_url(candidate)).status_code == 404
    assert pair_url(candidate) not in client.get(reverse("patients-duplicates")).content.decode()
    assert client.post(pair_url(candidate), {"decision": "not_duplicate", "not-note": "no"}).status_code == 404
    assert DuplicateCandidate.objects.get().status == DuplicateStatus.OPEN


def test_the_manager_home_page_shows_the_duplicate_rate_and_its_trend(pair, him, client_for):
    text = client_for(him).get(reverse("core-home")).content.decode()
    assert "Duplicate rate of the index" in text
    assert "<strong>40.0 %</strong> of 5 charts are in a candidate pair (1 pair)" in text
    registrar_home = client_for(factories.make_user("registrar")).get(reverse("core-home")).content.decode()
    assert "Duplicate rate of the index" not in registrar_home
