from datetime import date

import pytest

from chartdesk.audit.models import AuditEvent
from chartdesk.patients.actions import do_set_restriction
from chartdesk.patients.models import BreakTheGlassAccess, ChartAccessGrant, Patient
from tests.support import factories

ALL_ROLES = ["registrar", "coder", "billing", "roi", "transcriptionist", "provider", "him_manager",
             "privacy_officer", "administrator"]
SEARCHERS = set(ALL_ROLES) - {"administrator"}
EDITORS = {"registrar", "him_manager"}
RESTRICTERS = {"him_manager", "privacy_officer"}
REASON = "Patient arrived unresponsive; need medication list"

REGISTRATION = {
    "given_name": "Ana", "family_name": "Silva", "birth_date": "1988-02-29", "sex": "F", "ssn": "219-09-9999",
    "mobile_phone": "(217) 555-0142", "address_line1": "12 Oak St", "city": "Springfield", "state": "IL",
    "postal_code": "62704", "identifier_type": "MC", "identifier_issuer": "CMS", "identifier_value": "1EG4-TE5-MK73",
    "preferred_language": "Portuguese",
}


@pytest.mark.parametrize("role", ALL_ROLES)
def test_the_search_page_is_for_roles_that_search(client_for, users, role):
    factories.make_patient("Maria", "Garcia")
    response = client_for(users[role]).get("/patients/", {"q": "garcia maria"})
    if role in SEARCHERS:
        assert response.status_code == 200
        assert b"Garcia, Maria" in response.content
        assert b'class="results"' in response.content
    else:
        assert response.status_code == 403


def test_htmx_search_answers_only_the_results_list_with_links_to_charts(client_for, users):
    patient = factories.make_patient("Maria", "Garcia")
    response = client_for(users["registrar"]).get("/patients/", {"q": "maria"}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert "<html" not in body
    assert f'href="/charts/patient/{patient.pk}/"' in body


def test_search_shows_a_restriction_badge_and_says_when_nothing_matched(client_for, users):
    patient = factories.make_patient("Vera", "Important")
    do_set_restriction(patient, restriction="vip", acting_user=users["him_manager"])
    client = client_for(users["registrar"])
    assert b"badge-restricted" in client.get("/patients/", {"q": "vera important"}).content
    assert b"No patient matches" in client.get("/patients/", {"q": "zzyzx"}).content


@pytest.mark.parametrize("role", ALL_ROLES)
def test_registration_is_for_registrars_and_him_managers(client_for, users, role):
    response = client_for(users[role]).post("/patients/register/", REGISTRATION)
    if role in EDITORS:
        patient = Patient.objects.get()
        assert response.status_code == 302
        assert response["Location"] == f"/charts/patient/{patient.pk}/"
        assert patient.identifiers.get().value == "1EG4TE5MK73"
        assert patient.preferred_language == "Portuguese"
    else:
        assert response.status_code == 403
        assert Patient.objects.count() == 0


def test_bad_registration_input_is_named_field_by_field_and_saves_nothing(client_for, users):
    bad = {**REGISTRATION, "ssn": "000-12-3456", "birth_date": "2999-01-01", "state": "XX",
           "identifier_value": "1EG4-TE5-MK7S", "family_name": ""}
    response = client_for(users["registrar"]).post("/patients/register/", bad)
    body = response.content.decode()
    assert response.status_code == 400
    assert "Nothing was saved" in body
    for message in ("SSN: the first three digits cannot be 000", "is in the future", "is not a US state",
                    "the letter S (position 11) is never used", "Family name: required."):
        assert message in body, message
    assert Patient.objects.count() == 0


def test_registration_shows_likely_matches_first_and_creates_only_after_explicit_confirmation(client_for, users):
    existing = factories.make_patient("Ana", "Silva", date(1988, 2, 29), "F")
    client = client_for(users["registrar"])
    shown = client.post("/patients/register/", {**REGISTRATION, "given_name": "Anna"})
    body = shown.content.decode()
    assert shown.status_code == 200
    assert "Is the patient already registered?" in body and existing.mrn in body
    assert Patient.objects.count() == 1
    assert AuditEvent.objects.filter(object_type="registration_match_check").get().detail == {"shown": [existing.mrn]}
    # Ticking the box without having been shown the same matches does not count.
    stale = client.post("/patients/register/", {**REGISTRATION, "given_name": "Anna", "confirm_no_match": "on",
                                                "shown_matches": "999"})
    assert "Is the patient already registered?" in stale.content.decode() and Patient.objects.count() == 1
    confirmed = client.post("/patients/register/", {**REGISTRATION, "given_name": "Anna", "confirm_no_match": "on",
                                                    "shown_matches": str(existing.pk)})
    assert confirmed.status_code == 302
    assert Patient.objects.count() == 2


@pytest.mark.parametrize("role", ALL_ROLES)
def test_the_demographics_page_is_for_editors(client_for, users, role):
    patient = factories.make_patient("Ana", "Silva")
    response = client_for(users[role]).get(f"/patients/{patient.pk}/edit/")
    assert response.status_code == (200 if role in EDITORS else 403)


def test_editing_demographics_saves_and_a_stale_form_is_refused_with_a_clear_message(client_for, users):
    patient = factories.make_patient("Ana", "Silva", date(1988, 2, 29), "F")
    form = {"given_name": "Ana", "family_name": "Costa", "birth_date": "02/29/1988", "sex": "F",
            "preferred_language": "English", "revision": patient.revision}
    client = client_for(users["registrar"])
    assert client.post(f"/patients/{patient.pk}/edit/", form).status_code == 302
    assert Patient.objects.get(pk=patient.pk).family_name == "Costa"
    stale = client_for(users["him_manager"]).post(f"/patients/{patient.pk}/edit/", {**form, "family_name": "Lima"})
    assert stale.status_code == 409
    assert "Someone else changed this patient" in stale.content.decode()
    assert Patient.objects.get(pk=patient.pk).family_name == "Costa"


def test_adding_a_phone_on_the_identifiers_page_keeps_the_old_one_inactive(client_for, users):
    patient = factories.make_patient("Ana", "Silva", phones=(("mobile", "2175550142"),))
    client = client_for(users["registrar"])
    response = client.post(f"/patients/{patient.pk}/identifiers/",
                           {"kind": "phone", "phone-use": "mobile", "phone-number": "217 555 0199"})
    assert response.status_code == 302
    assert sorted(patient.phones.values_list("number", "active")) == [("2175550142", False), ("2175550199", True)]
    bad = client.post(f"/patients/{patient.pk}/identifiers/",
                      {"kind": "identifier", "identifier-type": "MC", "identifier-issuer": "CMS",
                       "identifier-value": "123"})
    assert bad.status_code == 400
    assert "Medicare MBI: must be 11 letters and digits, not 3." in bad.content.decode()
    assert patient.identifiers.count() == 0
    page = client.get(f"/patients/{patient.pk}/identifiers/").content.decode()
    assert "(217) 555-0142" in page and "Inactive" in page


@pytest.mark.parametrize("role", ALL_ROLES)
def test_the_restriction_page_is_for_him_managers_and_privacy_officers(client_for, users, role):
    patient = factories.make_patient("Vera", "Important")
    response = client_for(users[role]).post(f"/patients/{patient.pk}/restriction/",
                                            {"kind": "restriction", "restriction": "vip", "note": "board"})
    if role in RESTRICTERS:
        assert response.status_code == 302
        assert Patient.objects.get(pk=patient.pk).restriction == "vip"
    else:
        assert response.status_code == 403
        assert Patient.objects.get(pk=patient.pk).restriction == ""


def test_granting_and_revoking_access_on_the_restriction_page(client_for, users):
    patient = factories.make_patient("Vera", "Important")
    client = client_for(users["privacy_officer"])
    url = f"/patients/{patient.pk}/restriction/"
    assert client.post(url, {"kind": "grant", "username": users["coder"].username, "reason": "case review"}
                       ).status_code == 302
    grant = ChartAccessGrant.objects.get()
    assert grant.user == users["coder"] and grant.granted_by == users["privacy_officer"]
    nobody = client.post(url, {"kind": "grant", "username": "no-such-user", "reason": "case review"})
    assert nobody.status_code == 400 and "no active user is called" in nobody.content.decode()
    assert client.post(url, {"kind": "revoke", "grant": grant.pk}).status_code == 302
    grant.refresh_from_db()
    assert grant.revoked_at is not None


@pytest.fixture
def vip(users):
    patient = factories.make_patient("Vera", "Important", ssn="219099999")
    return do_set_restriction(patient, restriction="vip", note="board member", acting_user=users["privacy_officer"])


def test_a_restricted_chart_sends_glass_breakers_to_the_break_the_glass_page(client_for, users, vip):
    response = client_for(users["him_manager"]).get(f"/patients/{vip.pk}/edit/")
    assert response.status_code == 302
    assert response["Location"] == f"/patients/{vip.pk}/break-the-glass/?next=%2Fpatients%2F{vip.pk}%2Fedit%2F"
    assert client_for(users["registrar"]).get(f"/patients/{vip.pk}/edit/").status_code == 404


def test_breaking_the_glass_on_the_page_needs_a_reason_then_opens_the_chart(client_for, users, vip):
    client = client_for(users["provider"])
    url = f"/patients/{vip.pk}/break-the-glass/?next=/patients/{vip.pk}/edit/"
    page = client.get(url)
    assert page.status_code == 403
    assert "Break the glass and open the chart" in page.content.decode()
    assert "219" not in page.content.decode()
    short = client.post(url, {"reason": "now", "next": f"/patients/{vip.pk}/edit/"})
    assert short.status_code == 403 and "at least 10 characters" in short.content.decode()
    assert BreakTheGlassAccess.objects.count() == 0
    opened = client.post(url, {"reason": REASON, "next": f"/patients/{vip.pk}/edit/"})
    assert opened.status_code == 302 and opened["Location"] == f"/patients/{vip.pk}/edit/"
    assert BreakTheGlassAccess.objects.get().reason == REASON
    offsite = client.get(f"/patients/{vip.pk}/break-the-glass/?next=https://evil.example/")
    assert offsite["Location"] == f"/charts/patient/{vip.pk}/"


def test_users_without_break_the_glass_cannot_open_its_page(client_for, users, vip):
    assert client_for(users["registrar"]).get(f"/patients/{vip.pk}/break-the-glass/").status_code == 403


def test_revealing_the_ssn_is_a_post_for_those_allowed_and_swaps_in_with_htmx(client_for, users):
    patient = factories.make_patient("Ana", "Silva", ssn="219099999")
    url = f"/patients/{patient.pk}/reveal-ssn/"
    clerk = client_for(users["registrar"])
    assert clerk.get(url).status_code == 405
    revealed = clerk.post(url, HTTP_HX_REQUEST="true")
    assert revealed.status_code == 200
    assert "219-09-9999" in revealed.content.decode() and "<html" not in revealed.content.decode()
    assert client_for(users["coder"]).post(url).status_code == 403
    assert AuditEvent.objects.filter(object_type="patient_ssn", patient_id=patient.pk).count() == 1


def test_the_banner_shows_name_mrn_age_masked_ssn_and_alerts(client_for, users, vip):
    from django.template.loader import render_to_string
    from django.test import RequestFactory

    from chartdesk.patients.actions import do_break_the_glass

    do_break_the_glass(vip, reason=REASON, acting_user=users["provider"])
    request = RequestFactory().get("/")
    request.user = users["provider"]
    html = render_to_string("patients/_banner.html", {"patient": vip, "perms": None}, request=request)
    assert "Important, Vera" in html and vip.mrn in html and "***-**-9999" in html
    assert "Restricted: VIP" in html and "Break the glass" in html and REASON in html
    assert f"<dd>{vip.age_on()}</dd>" in html


@pytest.mark.parametrize("role", ALL_ROLES)
def test_no_role_reaches_a_restricted_patients_pages_by_id(client_for, users, role, vip):
    client = client_for(users[role])
    before = (Patient.objects.get(pk=vip.pk).revision, BreakTheGlassAccess.objects.count(),
              ChartAccessGrant.objects.count())
    for page in ("edit", "identifiers", "restriction", "break-the-glass", "reveal-ssn"):
        for method in ("get", "post"):
            response = getattr(client, method)(f"/patients/{vip.pk}/{page}/")
            if response.status_code == 302:
                assert f"/patients/{vip.pk}/break-the-glass/" in response["Location"], (page, method)
            else:
                assert response.status_code in {403, 404, 405}, (page, method, response.status_code)
            assert b"219-09-9999" not in response.content
    after = (Patient.objects.get(pk=vip.pk).revision, BreakTheGlassAccess.objects.count(),
             ChartAccessGrant.objects.count())
    assert after == before
