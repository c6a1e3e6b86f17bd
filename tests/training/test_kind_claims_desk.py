"""Claims on the real billing screens: the exercise's rejected claims are built in the database the student
works in, corrected through the billing desk's own pages, and graded from the claims as they then stand
(the same feedback as a typed answer)."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from chartdesk.billing.actions import do_save_organisation
from chartdesk.billing.models import Charge, Claim, ClaimStatus, Payer
from chartdesk.charts.models import Provider
from chartdesk.training.grading import grade, key_as_answer, shipped_exercises
from chartdesk.training.kinds import claims, claims_desk
from tests.support import factories

pytestmark = pytest.mark.django_db


def organisation() -> None:
    # The sandbox's demo data sets the billing organisation up; a bare test database has none, and the
    # scrubber would name it on every claim.
    do_save_organisation(acting_user=factories.make_user("billing"), name="Training Clinic", npi="1234567893",
                         tax_id="371234567", taxonomy="207Q00000X", address_line="1 Main St", city="Springfield",
                         state="IL", zip_code="627011234", phone="2175550100", contact_name="Office",
                         submitter_id="S1", receiver_id="R1", receiver_name="Clearinghouse")


def line_form(charge: Charge, **changes: Any) -> dict[str, Any]:
    values = {"code": charge.code, "modifiers": " ".join(charge.modifiers), "units": str(charge.units),
              "amount": str(charge.amount), "pointers": " ".join(str(p) for p in charge.diagnosis_pointers),
              "service_date": charge.service_date.isoformat(), "place_of_service": charge.place_of_service_id,
              "rendering_provider": charge.rendering_provider_id or ""}
    return {**values, **changes}


def as_form(name: str, value: Any) -> dict[str, Any]:
    if name == "rendering_npi":
        return {"rendering_provider": Provider.objects.filter(npi=value).order_by("pk").first().pk}
    if name in ("pointers", "modifiers"):
        return {name: " ".join(str(part) for part in value)}
    return {"amount" if name == "charge" else name: str(value)}


def desk_posts(claim: Claim, fixes: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    """Each correction as the form a biller posts: the coverage page, the diagnoses of the encounter's
    charges page, a charge line's page (read from the database the claim is in; posted by the caller)."""
    posts = []
    coverage = {fix["field"]: fix["value"] for fix in fixes if fix["field"] in ("member_id", "payer_id")}
    if coverage:
        claim.refresh_from_db()
        payer = Payer.objects.get(payer_id=coverage.get("payer_id", claim.payer.payer_id))
        posts.append((reverse("billing-coverage", kwargs={"coverage_id": claim.coverage_id}), {
            "payer": payer.pk, "member_id": coverage.get("member_id", claim.coverage.member_id)}))
    for fix in fixes:
        if fix["field"] == "diagnoses":
            posts.append((reverse("billing-encounter-charges", kwargs={"encounter_id": claim.encounter_id}),
                          {"codes": " ".join(fix["value"])}))
    by_line: dict[int, dict[str, Any]] = {}
    for fix in fixes:
        if fix.get("line"):
            by_line.setdefault(fix["line"], {}).update(as_form(fix["field"], fix["value"]))
    for number, changes in sorted(by_line.items()):
        charge = claim.lines.get(superseded=False, line_number=number).charge
        posts.append((reverse("billing-charge", kwargs={"charge_id": charge.pk}), line_form(charge, **changes)))
    return posts


def post_all(client: Any, posts: list[tuple[str, dict[str, Any]]]) -> None:
    for url, data in posts:
        response = client.post(url, data)
        assert response.status_code == 302, (url, response.content.decode()[-1500:])


def correct_on_desk(client: Any, claim: Claim, fixes: list[dict[str, Any]]) -> None:
    post_all(client, desk_posts(claim, fixes))


@pytest.mark.parametrize("exercise_id", [f"claims-{number:02d}" for number in range(1, 11)])
def test_each_claim_is_built_rejected_and_corrected_on_the_desk_earns_full_marks(exercise_id, client_for):
    organisation()
    exercise = shipped_exercises()[exercise_id]
    claims_desk.build(exercise)
    built = claims_desk.sandbox_claims(exercise)
    for entry in exercise.setup["claims"]:
        claim = built[entry["id"]]
        assert claim.status == ClaimStatus.SCRUBBED
        # The scrubber's own findings on the built claim are the rejection the exercise describes.
        assert {(f.rule, f.line_number) for f in claim.findings.all()} == {
            (rule, line) for rule, _, line in claims.scrubber_findings(entry["claim"])}
    assert claims_desk.answer_from_records(exercise) == {"claims": {label: [] for label in built}}

    client = client_for(factories.make_user("billing"))
    for label, fixes in key_as_answer(exercise)["claims"].items():
        correct_on_desk(client, built[label], fixes)
    answer = claims_desk.answer_from_records(exercise)
    assert grade(exercise, answer).score == 1.0, answer
    for claim in claims_desk.sandbox_claims(exercise).values():
        assert claim.status == ClaimStatus.READY, list(claim.findings.values_list("message", flat=True))


def test_right_partly_right_and_wrong_corrections_are_graded_from_the_claims_as_they_stand(client_for):
    organisation()
    exercise = shipped_exercises()["claims-01"]
    claims_desk.build(exercise)
    built = claims_desk.sandbox_claims(exercise)
    client = client_for(factories.make_user("billing"))
    correct_on_desk(client, built["C1"], [{"field": "diagnoses", "value": ["M54.50"]},
                                          {"field": "units", "line": 1, "value": 1}])  # right
    correct_on_desk(client, built["C2"], [{"field": "member_id", "value": "PCG000000000"}])  # not the card's
    # C3: the code corrected, the NPI not, and line 1's right charge changed.
    correct_on_desk(client, built["C3"], [{"field": "code", "line": 2, "value": "81002"},
                                          {"field": "charge", "line": 1, "value": "135.00"}])
    answer = claims_desk.answer_from_records(exercise)
    assert answer["claims"]["C2"] == [{"field": "member_id", "value": "PCG000000000"}]
    assert {(fix["field"], fix.get("line")) for fix in answer["claims"]["C3"]} == {("code", 2), ("charge", 1)}
    result = grade(exercise, answer)
    points = {item.point: item for item in result.items}
    assert (result.earned, result.possible) == (5.0, 8.0)
    assert points["Claim C1: diagnoses"].earned == 1.0 and points["Claim C1: line 1 units"].earned == 1.0
    assert points["Claim C2: member_id"].explanation.startswith("Not corrected.")
    assert "Right value: PCG277173958 (from the insurance card)" in points["Claim C2: member_id"].explanation
    assert points["Claim C3: line 2 code"].earned == 1.0
    assert points["Claim C3: line 2 rendering_npi"].earned == 0.0
    assert points["Claim C3: nothing right changed"].explanation.startswith(
        "Changed though it was right: line 1 charge.")
    # What the student still has to fix is on the claim page, in the scrubber's words.
    claim = claims_desk.sandbox_claims(exercise)["C3"]
    assert list(claim.findings.values_list("rule", flat=True)) == ["missing_rendering_npi"]


def test_a_corrected_line_keeps_its_place_on_the_claim(client_for):
    organisation()
    exercise = shipped_exercises()["claims-01"]
    claims_desk.build(exercise)
    claim = claims_desk.sandbox_claims(exercise)["C1"]
    correct_on_desk(client_for(factories.make_user("billing")), claim, [{"field": "units", "line": 1, "value": 1}])
    lines = list(claim.lines.filter(superseded=False).order_by("line_number").values_list("line_number", "code"))
    assert lines == [(1, "99203"), (2, "90471")]


def test_claims_built_again_are_read_from_the_latest_build():
    organisation()
    exercise = shipped_exercises()["claims-02"]
    claims_desk.build(exercise)
    first = claims_desk.sandbox_claims(exercise)
    claims_desk.build(exercise)
    again = claims_desk.sandbox_claims(exercise)
    assert all(again[label].pk > first[label].pk for label in first)
    assert claims_desk.answer_from_records(exercise) == {"claims": {label: [] for label in first}}


@pytest.mark.parametrize("role", ["coder", "registrar", "roi", "student"])
def test_roles_without_claim_work_cannot_open_the_correction_pages(role, client_for):
    organisation()
    exercise = shipped_exercises()["claims-01"]
    claims_desk.build(exercise)
    claim = claims_desk.sandbox_claims(exercise)["C2"]
    client = client_for(factories.make_user(role))
    charge = claim.lines.first().charge
    for url in (reverse("billing-charge", kwargs={"charge_id": charge.pk}),
                reverse("billing-coverage", kwargs={"coverage_id": claim.coverage_id})):
        assert client.get(url).status_code == 403
    assert client.post(reverse("billing-coverage", kwargs={"coverage_id": claim.coverage_id}),
                       {"payer": claim.payer_id, "member_id": "PCG277173958"}).status_code == 403
    claim.coverage.refresh_from_db()
    assert claim.coverage.member_id == ""
