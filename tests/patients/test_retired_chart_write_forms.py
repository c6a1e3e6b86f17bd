"""Every app's form that writes to one patient's chart refuses a merged (retired) chart when it is
opened, pointing at the survivor, rather than after it is filled (patients.view_guards)."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from chartdesk.core.errors import ChartdeskError
from chartdesk.disclosures.actions import do_record_authorization
from chartdesk.disclosures.models import Authorization
from chartdesk.patients.merge_actions import do_merge_patients
from tests.support import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def merged_pair():
    him = factories.make_user("him_manager")
    survivor = factories.make_patient("Maria", "Garcia")
    retired = factories.make_patient("Mary", "Garcia")
    do_merge_patients(survivor, retired, reason="Same person", acting_user=him)
    retired.refresh_from_db()
    return survivor, retired


@pytest.mark.parametrize(("name", "role", "message"), [
    ("transcription-upload", "provider", "dictate to the surviving chart instead"),
    ("disclosures-authorization-new", "roi", "record the authorization on the surviving chart instead"),
])
def test_opening_the_form_on_a_merged_chart_sends_the_user_to_the_chart_with_the_reason(
        merged_pair, name, role, message, client_for):
    survivor, retired = merged_pair
    user = factories.make_user(role)
    if role == "provider":
        factories.make_provider(user=user)
    client = client_for(user)
    response = client.get(reverse(name, kwargs={"patient_id": retired.pk}), follow=True)
    assert response.redirect_chain == [(reverse("charts-chart", kwargs={"patient_id": retired.pk}), 302)]
    html = response.content.decode()
    assert f"This chart was merged into MRN {survivor.mrn}; {message}" in html
    assert client.get(reverse(name, kwargs={"patient_id": survivor.pk})).status_code == 200


def test_posting_an_authorization_to_a_merged_chart_records_nothing(merged_pair, client_for):
    _, retired = merged_pair
    roi = factories.make_user("roi")
    scan = SimpleUploadedFile("form.pdf", b"%PDF-1.4\n%%EOF\n", content_type="application/pdf")
    response = client_for(roi).post(reverse("disclosures-authorization-new", kwargs={"patient_id": retired.pk}),
                                    {"scanned_form": scan})
    assert response.status_code == 302
    assert Authorization.objects.count() == 0
    with pytest.raises(ChartdeskError, match="merged into MRN"):
        do_record_authorization(retired, acting_user=roi)
    assert Authorization.objects.count() == 0


@pytest.mark.parametrize("role", ["coder", "billing"])
def test_roles_without_the_permission_are_refused_on_a_merged_chart_too(merged_pair, role, client_for):
    _, retired = merged_pair
    client = client_for(factories.make_user(role))
    for name in ("transcription-upload", "disclosures-authorization-new"):
        assert client.get(reverse(name, kwargs={"patient_id": retired.pk})).status_code == 403
