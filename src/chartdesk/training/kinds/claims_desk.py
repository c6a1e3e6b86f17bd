"""Claims on the real billing screens: `build` puts each rejected claim of the exercise in the student's
sandbox, the student corrects it where a biller would (the claim page, the encounter's charges and
diagnoses, a charge line, the coverage), and `answer_from_records` reads the claims back into the kind's
answer format, so the one grader (claims.grade) and `chartdesk training grade` stay as they were.

Each claim is built the way the desk builds one: patient, visit, provider, payer, coverage, diagnoses and
charge lines through the apps' actions with the values of the source documents (the insurance card, the
encounter form, the provider directory), then the errors of the rejected claim are planted by writing
those rows directly (the actions refuse every one of them: a code of the wrong shape, no units, a mistyped
NPI), and the claim is created and scrubbed by `do_create_claim`, so its findings are the scrubber's own.
A claim is found again by its visit's reason, "Training claim C1 (claims-01)"; the latest build wins.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from chartdesk.training.grading import AnswerError, Exercise
from chartdesk.training.kinds._common import sandbox_staff

# Synthetic patients and clinicians (the exercises' claims name none): chosen by a hash of the exercise and
# claim label, so every build of one exercise registers the same people.
GIVEN = ("Maren", "Tobias", "Ines", "Dario", "Wren", "Colm", "Priya", "Anselm", "Lucia", "Bastian")
FAMILY = ("Halvorsen", "Quintero", "Abernathy", "Szabo", "Okafor", "Lindqvist", "Moreau", "Tanaka", "Brennan",
          "Castellanos")
# The visit a claim bills is this many days back: recent enough for every payer's filing limit.
DAYS_BACK = 7


def _pick(options: tuple[str, ...], seed: str) -> str:
    return options[int(hashlib.sha256(seed.encode()).hexdigest(), 16) % len(options)]


def visit_reason(exercise: Exercise, label: str) -> str:
    return f"Training claim {label} ({exercise.id})"


def _filing_indicator(payer_name: str) -> str:
    return "MC" if "medicaid" in payer_name.lower() else "CI"


def _payer(payer_id: str, name: str, biller: Any) -> Any:
    from chartdesk.billing.actions import do_save_payer
    from chartdesk.billing.models import Payer

    found = Payer.objects.filter(payer_id=payer_id).first()
    if found is not None:
        return found
    if not payer_id:
        # Planted: a payer record set up without its payer ID (the action refuses one; the scrubber rejects
        # its claims). One per sandbox, as the payer ID is unique.
        return Payer.objects.create(name=name, payer_id="", claim_filing_indicator=_filing_indicator(name))
    return do_save_payer(acting_user=biller, name=name, payer_id=payer_id,
                         claim_filing_indicator=_filing_indicator(name))


def _provider(npi: str, right_npi: str, administrator: Any) -> Any:
    """The directory's clinician for `right_npi`; a line's other NPI is the same clinician's record with a
    mistyped NPI (planted: the clinician action refuses an NPI failing its check digit)."""
    from django.contrib.auth import get_user_model

    from chartdesk.accounts.actions import NewProvider, do_create_user
    from chartdesk.charts.models import Provider

    given, family = _pick(GIVEN, "provider" + right_npi), _pick(FAMILY, "provider-family" + right_npi)
    right = Provider.objects.filter(npi=right_npi).order_by("pk").first()
    if right is None:
        username = f"training-npi-{right_npi}"
        user = get_user_model().objects.filter(username=username).first() or do_create_user(
            username, role="provider", password=None, acting_user=administrator, full_name=f"{given} {family}",
            provider=NewProvider(right_npi, "MD"))
        right = user.provider
    if not npi or npi == right_npi:
        return right if npi else None
    return Provider.objects.filter(npi=npi).first() or Provider.objects.create(
        given_name=right.given_name, family_name=right.family_name, credentials=right.credentials, npi=npi)


def _line_values(line: Mapping[str, Any]) -> dict[str, Any]:
    return {"code": str(line["code"]).strip().upper(), "units": Decimal(str(line["units"])),
            "amount": Decimal(str(line["charge"])), "diagnosis_pointers": list(line["pointers"]),
            "modifiers": [str(modifier).strip().upper() for modifier in line.get("modifiers", [])]}


def _build_claim(exercise: Exercise, entry: Mapping[str, Any], day: date, staff: dict[str, Any]) -> None:
    from django.utils import timezone

    from chartdesk.billing import codes
    from chartdesk.billing.actions import (
        ChargeInput,
        do_add_charge,
        do_add_coverage,
        do_create_claim,
        do_set_diagnoses,
    )
    from chartdesk.billing.models import Charge, Coverage, EncounterDiagnosis
    from chartdesk.charts.actions import do_open_encounter
    from chartdesk.patients.actions import do_register_patient
    from chartdesk.patients.schemas import PatientRegistration

    label, card, form, claim = entry["id"], entry["card"], entry["encounter_form"], entry["claim"]
    seed = f"{exercise.id}-{label}"
    patient = do_register_patient(PatientRegistration(
        given_name=_pick(GIVEN, seed), family_name=_pick(FAMILY, seed + "family"),
        birth_date=date(1950, 1, 1) + timedelta(days=int(hashlib.sha256(seed.encode()).hexdigest(), 16) % 15000),
        sex=_pick(("F", "M"), seed + "sex")), acting_user=staff["registrar"])
    doctor = _provider(entry["rendering_npi"], entry["rendering_npi"], staff["administrator"])
    encounter = do_open_encounter(
        patient, encounter_class="outpatient", attending=doctor, acting_user=staff["registrar"],
        admit_at=timezone.make_aware(datetime.combine(day, time(9, 0))), reason=visit_reason(exercise, label))
    payer_name = str(entry.get("payer") or card["payer_id"])
    right_payer = _payer(card["payer_id"], payer_name, staff["billing"])
    coverage = do_add_coverage(patient, payer=right_payer, rank="primary", member_id=card["member_id"],
                               acting_user=staff["billing"])
    if claim["payer_id"] != card["payer_id"] or claim["member_id"] != card["member_id"]:
        Coverage.objects.filter(pk=coverage.pk).update(  # planted: the card mistyped at registration
            payer=_payer(claim["payer_id"], payer_name, staff["billing"]), member_id=claim["member_id"])
    do_set_diagnoses(encounter, list(form["diagnoses"]), acting_user=staff["billing"])
    if [codes.normal_diagnosis(code) for code in claim["diagnoses"]] != \
            [codes.normal_diagnosis(code) for code in form["diagnoses"]]:
        EncounterDiagnosis.objects.filter(encounter=encounter, voided=False).update(voided=True)
        for sequence, code in enumerate(claim["diagnoses"], start=1):  # planted: as the claim was keyed
            EncounterDiagnosis.objects.create(encounter=encounter, sequence=sequence, principal=sequence == 1,
                                              code=codes.normal_diagnosis(code))
    for right, keyed in zip(form["lines"], claim["lines"], strict=True):
        values = _line_values(right)
        charge = do_add_charge(encounter, ChargeInput(
            code=values["code"], modifiers=tuple(values["modifiers"]), units=values["units"],
            amount=values["amount"], diagnosis_pointers=tuple(values["diagnosis_pointers"]), service_date=day,
            rendering_provider=doctor), acting_user=staff["billing"])
        planted = {name: value for name, value in _line_values(keyed).items() if value != values[name]}
        wrong_provider = _provider(str(keyed.get("rendering_npi", "")), entry["rendering_npi"],
                                   staff["administrator"])
        if wrong_provider != doctor:
            planted["rendering_provider"] = wrong_provider
        if planted:
            Charge.objects.filter(pk=charge.pk).update(**planted)
    do_create_claim(encounter, acting_user=staff["billing"])


def build(exercise: Exercise) -> None:
    """Each claim of the exercise, rejected by the scrubber, in the sandbox's billing desk."""
    from django.utils import timezone

    staff = {role: sandbox_staff(role) for role in ("registrar", "billing", "administrator")}
    day = timezone.localdate() - timedelta(days=DAYS_BACK)
    for entry in exercise.setup["claims"]:
        _build_claim(exercise, entry, day, staff)


def sandbox_claims(exercise: Exercise) -> dict[str, Any]:
    """The exercise's claims in the sandbox by label (the latest build of each)."""
    from chartdesk.billing.models import Claim

    found = {}
    for entry in exercise.setup["claims"]:
        claim = (Claim.objects.filter(encounter__reason=visit_reason(exercise, entry["id"]), rank="primary",
                                      kind="professional")
                 .select_related("coverage", "payer", "patient").order_by("-pk").first())
        if claim is None:
            raise AnswerError(f"claim {entry['id']} of exercise {exercise.id} is not in this sandbox")
        found[str(entry["id"])] = claim
    return found


def claim_as_set_up(claim: Any) -> dict[str, Any]:
    """A sandbox claim in the exercise's claim format (claims.py), as it stands now."""
    lines = claim.lines.filter(superseded=False).select_related("rendering_provider").order_by("line_number")
    return {
        "member_id": claim.coverage.member_id, "payer_id": claim.payer.payer_id, "diagnoses": list(claim.diagnoses),
        "lines": [{"code": line.code, "units": line.units, "charge": line.amount,
                   "pointers": list(line.diagnosis_pointers), "modifiers": list(line.modifiers),
                   "rendering_npi": line.rendering_provider.npi if line.rendering_provider else ""}
                  for line in lines],
    }


def answer_from_records(exercise: Exercise) -> dict[str, Any]:
    """Each field of each claim that differs from the rejected claim as set up, with its value now: the
    corrections the student made on the desk, in the answer format (claims.py)."""
    from chartdesk.training.kinds.claims import CLAIM_FIELDS, LINE_FIELDS, normal

    entries = {str(entry["id"]): entry for entry in exercise.setup["claims"]}
    answer: dict[str, list[dict[str, Any]]] = {}
    for label, claim in sandbox_claims(exercise).items():
        before, now = entries[label]["claim"], claim_as_set_up(claim)
        fixes: list[dict[str, Any]] = []
        for name in CLAIM_FIELDS:
            if normal(name, now[name], name) != normal(name, before[name], name):
                fixes.append({"field": name, "value": now[name]})
        # Lines are compared by place, as the rejection names them (a corrected line keeps its place). A line
        # added on the desk has no line of the exercise to compare with; after one voided, the lines below
        # move up and are compared with the exercise's line in their new place.
        for number, (was, line) in enumerate(zip(before["lines"], now["lines"], strict=False), start=1):
            for name in LINE_FIELDS:
                empty: Any = [] if name == "modifiers" else ""
                if normal(name, _plain(line.get(name, empty)), name) != normal(name, was.get(name, empty), name):
                    fixes.append({"field": name, "line": number, "value": _plain(line[name])})
        answer[label] = fixes
    return {"claims": answer}


def _plain(value: Any) -> Any:
    """JSON's form of a value read from the database (the answer is stored with the attempt)."""
    return str(value) if isinstance(value, Decimal) else value


def start_url(exercise: Exercise) -> str:
    from django.urls import reverse

    return reverse("billing-claims") + "?status=scrubbed"


def desk_links(exercise: Exercise) -> list[tuple[str, str]]:
    """The claim page of each of the exercise's claims in the sandbox, for the exercise's page."""
    from django.urls import reverse

    try:
        claims = sandbox_claims(exercise)
    except AnswerError:
        return []
    return [(f"Claim {label}: {claim.claim_number}", reverse("billing-claim", kwargs={"claim_id": claim.pk}))
            for label, claim in claims.items()]
