import pytest
from django.urls import reverse

from chartdesk.patients.actions import do_set_restriction, do_update_demographics
from chartdesk.patients.merge_actions import do_merge_patients
from chartdesk.patients.models import MergeEvent, Patient, PatientStatus
from tests.patients.merge_support import full_chart
from tests.support import factories

OTHER_ROLES = ["registrar", "coder", "billing", "roi", "transcriptionist", "provider", "privacy_officer",
               "administrator"]


@pytest.fixture
def him(db):
    return factories.make_user("him_manager")


@pytest.fixture
def pair(him):
    doctor = factories.make_user("provider")
    factories.make_provider(user=doctor)
    survivor = full_chart("Maria", "Garcia", him=him, provider_user=doctor)
    retired = full_chart("Mary", "Garcia", him=him, provider_user=doctor)
    return survivor, retired


def compare_url(survivor, retired):
    return reverse("patients-merge-compare", kwargs={"patient_id": survivor.pk, "duplicate_id": retired.pk})


def merge_post(survivor, retired, **changes):
    data = {"reason": "Duplicate review case 7", "confirm": "on", "survivor_revision": survivor.revision,
            "retired_revision": retired.revision}
    data.update(changes)
    return data


def test_the_manager_finds_the_duplicate_with_the_patient_search_leaving_this_chart_out(pair, him, client_for):
    survivor, retired = pair
    response = client_for(him).get(reverse("patients-merge-search", kwargs={"patient_id": survivor.pk}),
                                   {"q": "Garcia"})
    assert response.status_code == 200
    assert compare_url(survivor, retired).encode() in response.content
    assert compare_url(survivor, survivor).encode() not in response.content
    assert b'<label class="visually-hidden" for="duplicate-search">' in response.content


def test_the_comparison_shows_both_records_and_what_each_holds(pair, him, client_for):
    survivor, retired = pair
    response = client_for(him).get(compare_url(survivor, retired))
    assert response.status_code == 200
    text = response.content.decode()
    assert f"Survivor: MRN {survivor.mrn}" in text and f"Retired: MRN {retired.mrn}" in text
    assert "Garcia, Mary" in text and "Garcia, Maria" in text
    assert "<th scope=\"row\">Encounters</th><td>1</td><td>1</td>" in text
    assert 'for="id_reason"' in text and 'for="id_confirm"' in text


def test_confirming_merges_and_the_history_offers_an_unmerge(pair, him, client_for):
    survivor, retired = pair
    client = client_for(him)
    response = client.post(compare_url(survivor, retired), merge_post(survivor, retired))
    assert response.status_code == 302
    assert response["Location"] == reverse("patients-merges", kwargs={"patient_id": survivor.pk})
    assert Patient.objects.get(pk=retired.pk).status == PatientStatus.MERGED
    event = MergeEvent.objects.get()
    history = client.get(response["Location"]).content.decode()
    assert f"Merge #{event.pk}: MRN {retired.mrn} into MRN {survivor.mrn}" in history
    assert reverse("patients-unmerge", kwargs={"merge_id": event.pk}) in history

    undone = client.post(reverse("patients-unmerge", kwargs={"merge_id": event.pk}), {"reason": "Two people"})
    assert undone.status_code == 302
    assert Patient.objects.get(pk=retired.pk).status == PatientStatus.ACTIVE
    assert "Undone" in client.get(undone["Location"]).content.decode()


def test_a_merge_without_confirmation_or_reason_changes_nothing(pair, him, client_for):
    survivor, retired = pair
    response = client_for(him).post(compare_url(survivor, retired), merge_post(survivor, retired, confirm="",
                                                                                reason=""))
    assert response.status_code == 400
    assert b"Confirm: tick the box" in response.content and b"Reason: say why" in response.content
    assert not MergeEvent.objects.exists()


def test_a_change_since_the_comparison_is_refused_with_409(pair, him, client_for):
    survivor, retired = pair
    data = merge_post(survivor, retired)
    do_update_demographics(retired, {"email": "mary@example.org"}, expected_revision=retired.revision,
                           acting_user=him)
    response = client_for(him).post(compare_url(survivor, retired), data)
    assert response.status_code == 409
    assert b"Someone changed one of these patients" in response.content
    assert not MergeEvent.objects.exists()


def test_the_retired_chart_says_where_its_records_went(pair, him, client_for):
    survivor, retired = pair
    do_merge_patients(survivor, retired, reason="Same person", acting_user=him)
    response = client_for(factories.make_user("registrar")).get(
        reverse("charts-chart", kwargs={"patient_id": retired.pk}))
    assert response.status_code == 200
    text = response.content.decode()
    assert f"This record was merged into MRN {survivor.mrn}" in text
    assert reverse("charts-chart", kwargs={"patient_id": survivor.pk}) in text


@pytest.mark.parametrize("role", OTHER_ROLES)
def test_no_role_but_the_him_manager_reaches_the_merge_desk(pair, him, role, client_for):
    survivor, retired = pair
    event = do_merge_patients(survivor, retired, reason="Same person", acting_user=him)
    client = client_for(factories.make_user(role))
    urls = [reverse("patients-merges", kwargs={"patient_id": survivor.pk}),
            reverse("patients-merge-search", kwargs={"patient_id": survivor.pk}),
            compare_url(survivor, retired),
            reverse("patients-unmerge", kwargs={"merge_id": event.pk})]
    for url in urls:
        assert client.get(url).status_code == 403, url
        assert client.post(url, {"reason": "x", "confirm": "on"}).status_code == 403, url
    assert MergeEvent.objects.get().unmerged_at is None


def test_restricted_charts_the_manager_was_not_granted_answer_404(him, client_for):
    officer = factories.make_user("privacy_officer")
    a, b = factories.make_patient("Ann", "Lee"), factories.make_patient("Anne", "Lee")
    open_one = factories.make_patient("Anna", "Lee")
    do_set_restriction(b, restriction="employee", acting_user=officer)
    client = client_for(him)
    assert client.get(compare_url(a, b)).status_code == 404
    offered = client.get(compare_url(b, a))  # he may break the glass: offered that page, never this one
    assert offered.status_code == 302 and "/break-the-glass/" in offered["Location"]
    assert client.post(compare_url(a, b), merge_post(a, b)).status_code == 404
    assert not MergeEvent.objects.exists()
    assert client.get(compare_url(a, open_one)).status_code == 200
