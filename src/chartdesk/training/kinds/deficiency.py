"""Deficiency analysis: find what each chart still lacks (missing documents, signatures, co-signatures,
operative reports) under the facility's completion rules.

The key is what the completion app's own rules find (completion.rules.findings_for with the rules
every facility starts with), so the drill and the chart-completion queue agree. The student reviews
the charts on the real chart screens (build registers them in the sandbox) and lists the deficiencies
on the training screen: the product finds deficiencies by itself, so the desk has no form where a
person records one (and answer_from_records is None). Each document's title carries its label ("A2")
so the student can name it.

Exercise setup: {"providers": {"dr-lee": {"given_name": "Morgan", "family_name": "Lee", "credentials": "MD"}},
  "charts": [{"chart": "A", "patient": {...}, "encounter_class": "inpatient", "admit_at": "2026-02-03T10:00",
  "discharge_at": "2026-02-07T12:00", "care_team": [["dr-lee", "attending"]],
  "documents": [{"id": "A1", "type": "34117-2", "service_date": "2026-02-03", "author": "dr-lee",
                 "signed": true, "linked": true, "cosigned": false}]}]}
Answer (and key): {"deficiencies": [{"chart": "A", "kind": "signature", "document": "A2"},
  {"chart": "A", "kind": "required_document", "document_type": "18842-5"},
  {"chart": "B", "kind": "operative_report", "provider": "dr-shah"},
  {"chart": "B", "kind": "cosignature", "document": "B3"}]}
"""

from __future__ import annotations

import hashlib
import importlib
from collections.abc import Mapping
from datetime import date, datetime
from functools import cache
from typing import Any

from django.utils import timezone

from chartdesk.charts.models import DocumentStatus, DocumentType
from chartdesk.completion.models import DeficiencyRule, RuleKind
from chartdesk.completion.rules import DocumentFacts, EncounterFacts, findings_for
from chartdesk.training.grading import AnswerError, Exercise, ExerciseKind, FeedbackItem, Grade, register_kind
from chartdesk.training.kinds._common import field, only_known, require_list, require_mapping, sandbox_staff

# Which field of a deficiency says which one it is: a missing document by its type, a signature or a
# co-signature by the document, a missing operative report by the surgeon who owes it.
IDENTIFIED_BY = {
    RuleKind.REQUIRED_DOCUMENT: "document_type",
    RuleKind.SIGNATURE: "document",
    RuleKind.COSIGNATURE: "document",
    RuleKind.OPERATIVE_REPORT: "provider",
}

RULE_SOURCES = {
    "inpatient-hp": "CMS Conditions of Participation, 42 CFR 482.22(c)(5)(i) and 482.24(c)(4)(i)",
    "inpatient-discharge-summary": "42 CFR 482.24(c)(4)(vii) (a discharge summary for every inpatient stay)",
    "signature": "42 CFR 482.24(c)(1): every entry authenticated by the person responsible for it",
    "operative-report": "42 CFR 482.51(b)(6): an operative report written or dictated right after surgery",
    "cosignature-np-pa": "the medical staff rules under 42 CFR 482.22(c): the attending co-signs NP and PA entries",
}


@cache
def starting_rules() -> tuple[DeficiencyRule, ...]:
    """The rules every facility starts with, as the completion app seeds them (unsaved copies)."""
    seeded = importlib.import_module("chartdesk.completion.migrations.0002_default_rules")
    return tuple(DeficiencyRule(pk=number, **rule) for number, rule in enumerate(seeded.DEFAULT_RULES, start=1))


def _moment(text: str) -> datetime:
    return timezone.make_aware(datetime.fromisoformat(text))


def _facts(chart: Mapping[str, Any], providers: dict[str, int], credentials: dict[str, str],
           documents: dict[str, int]) -> EncounterFacts:
    facts = []
    cosigned = set()
    for document in chart["documents"]:
        number = documents[document["id"]]
        author = providers.get(document.get("author") or "")
        facts.append(DocumentFacts(
            id=number, document_type=document["type"], service_date=date.fromisoformat(document["service_date"]),
            status=document.get("status") or (
                DocumentStatus.FINAL if document.get("signed") else DocumentStatus.PRELIMINARY
            ),
            linked_to_encounter=bool(document.get("linked", True)), author_id=author,
            author_credentials=credentials.get(document.get("author") or "", ""), current_version_id=number,
            signed=bool(document.get("signed")),
        ))
        if document.get("cosigned"):
            attending = [ref for ref, role in chart["care_team"] if role == "attending"]
            cosigned.add((number, providers[attending[0]]))
    return EncounterFacts(
        id=1, encounter_class=chart["encounter_class"], admit_at=_moment(chart["admit_at"]),
        discharge_at=_moment(chart["discharge_at"]),
        care_team=tuple((providers[ref], role) for ref, role in chart["care_team"]),
        documents=tuple(facts), cosigned_versions=frozenset(cosigned),
    )


def key_from_setup(setup: Mapping[str, Any]) -> dict[str, Any]:
    """The deficiencies the completion rules find in the exercise's charts (the answer key)."""
    provider_refs = sorted(setup["providers"])
    providers = {ref: number for number, ref in enumerate(provider_refs, start=1)}
    credentials = {ref: str(setup["providers"][ref].get("credentials", "")) for ref in provider_refs}
    rules = {rule.pk: rule for rule in starting_rules()}
    found = []
    for chart in setup["charts"]:
        documents = {document["id"]: number for number, document in enumerate(chart["documents"], start=1)}
        document_refs = {number: ref for ref, number in documents.items()}
        for finding in findings_for(_facts(chart, providers, credentials, documents), rules.values()):
            rule = rules[finding.rule_id]
            provider = provider_refs[finding.provider_id - 1] if finding.provider_id else None
            entry = {"chart": chart["chart"], "kind": finding.kind, "rule": rule.code, "provider": provider,
                     "description": finding.description}
            if finding.document_id is not None:
                entry["document"] = document_refs[finding.document_id]
            if finding.kind == RuleKind.REQUIRED_DOCUMENT:
                entry["document_type"] = rule.document_type
            found.append(entry)
    return {"deficiencies": found}


def _identity(entry: Mapping[str, Any], where: str) -> tuple[str, str, str]:
    chart = field(entry, "chart", where)
    kind = field(entry, "kind", where)
    if kind not in IDENTIFIED_BY:
        raise AnswerError(f"{where}: kind must be one of {', '.join(IDENTIFIED_BY)}")
    which = field(entry, IDENTIFIED_BY[RuleKind(kind)], where)
    if not isinstance(chart, str) or not isinstance(which, str):
        raise AnswerError(f"{where}: chart and {IDENTIFIED_BY[RuleKind(kind)]} must be strings")
    return chart, kind, which


def _known(exercise: Exercise) -> dict[str, Any]:
    charts = {chart["chart"]: chart for chart in exercise.setup.get("charts", [])}
    return {
        "charts": charts,
        "documents": {chart_id: {document["id"] for document in chart["documents"]}
                      for chart_id, chart in charts.items()},
        "providers": set(exercise.setup.get("providers", {})),
    }


def _check_names(identity: tuple[str, str, str], known: dict[str, Any], where: str) -> None:
    chart, kind, which = identity
    only_known([chart], known["charts"], f"{where} chart")
    by = IDENTIFIED_BY[RuleKind(kind)]
    if by == "document":
        only_known([which], known["documents"][chart], f"{where} document of chart {chart}")
    elif by == "provider":
        only_known([which], known["providers"], f"{where} provider")
    else:
        only_known([which], DocumentType.values, f"{where} document type")


def _explain(entry: Mapping[str, Any]) -> str:
    rule = next(rule for rule in starting_rules() if rule.code == entry["rule"])
    owner = f" It is assigned to {entry['provider']}." if entry.get("provider") else ""
    return (f"Rule: {rule.name} ({RULE_SOURCES.get(rule.code, 'facility rule')}). "
            f"Chart {entry['chart']}: {entry['description']}.{owner}")


def grade(exercise: Exercise, answer: Mapping[str, Any]) -> Grade:
    known = _known(exercise)
    listed = require_list(field(answer, "deficiencies", "the answer"), "'deficiencies'")
    given = set()
    for position, entry in enumerate(listed, start=1):
        where = f"deficiency {position}"
        identity = _identity(require_mapping(entry, where), where)
        _check_names(identity, known, where)
        given.add(identity)
    expected = {}
    for entry in exercise.key["deficiencies"]:
        expected[(entry["chart"], entry["kind"], entry[IDENTIFIED_BY[RuleKind(entry["kind"])]])] = entry
    items = []
    for identity, entry in expected.items():
        found = identity in given
        items.append(FeedbackItem(
            f"Chart {identity[0]}: {entry['description']}", 1.0 if found else 0.0, 1.0,
            ("Found. " if found else "Missed. ") + _explain(entry),
        ))
    for chart_id in known["charts"]:
        wrong = sorted(identity for identity in given - set(expected) if identity[0] == chart_id)
        words = "; ".join(f"{kind} {which}" for _, kind, which in wrong)
        items.append(FeedbackItem(
            f"Chart {chart_id}: nothing flagged that is complete", 0.0 if wrong else 1.0, 1.0,
            (f"Flagged but not deficient under the rules: {words}. " if wrong else "No false deficiencies. ")
            + "A document signed within the window, an H&P in the 30 days before admission, or a report by "
              "the surgeon already on file satisfies its rule; flagging it sends the provider needless work.",
        ))
    return Grade(tuple(items))


# ----------------------------------------------------------------------------- on the desk

def training_npi(ref: str) -> str:
    """A valid NPI for an exercise's provider, the same on every build (derived from the label)."""
    from chartdesk.core.npi import npi_check_digit

    first_nine = "1" + str(int(hashlib.sha256(ref.encode()).hexdigest(), 16))[:8]
    return first_nine + npi_check_digit(first_nine)


def _provider_users(setup: Mapping[str, Any]) -> dict[str, Any]:
    from django.contrib.auth import get_user_model

    from chartdesk.accounts.actions import NewProvider, do_create_user

    users = {}
    for ref, person in setup["providers"].items():
        username = f"training-{ref}"
        users[ref] = get_user_model().objects.filter(username=username).first() or do_create_user(
            username, role="provider", password=None, acting_user=sandbox_staff("administrator"),
            full_name=f"{person['given_name']} {person['family_name']}",
            provider=NewProvider(training_npi(ref), person.get("credentials", "")),
        )
    return users


def _build_chart(chart: Mapping[str, Any], providers: dict[str, Any], registrar: Any) -> None:
    from chartdesk.charts.actions import (
        do_add_care_team_member,
        do_create_note,
        do_discharge_encounter,
        do_open_encounter,
        do_sign_document,
    )
    from chartdesk.charts.models import CareRole, DischargeDisposition
    from chartdesk.completion.actions import do_cosign_document
    from chartdesk.completion.analysis import analyse_encounter
    from chartdesk.completion.models import Deficiency
    from chartdesk.patients.actions import do_register_patient
    from chartdesk.patients.schemas import PatientRegistration

    person = chart["patient"]
    patient = do_register_patient(PatientRegistration(
        given_name=person["given_name"], family_name=person["family_name"],
        birth_date=date.fromisoformat(person["birth_date"]), sex=person["sex"]), acting_user=registrar)
    attending = next(ref for ref, role in chart["care_team"] if role == CareRole.ATTENDING)
    encounter = do_open_encounter(patient, encounter_class=chart["encounter_class"],
                                  admit_at=_moment(chart["admit_at"]), acting_user=registrar,
                                  attending=providers[attending].provider, reason=f"Training chart {chart['chart']}")
    for ref, role in chart["care_team"]:
        if role != CareRole.ATTENDING:
            do_add_care_team_member(encounter, providers[ref].provider, role, acting_user=registrar)
    cosign = []
    for document in chart["documents"]:
        author = providers[document["author"]]
        note = do_create_note(
            patient, document_type=document["type"],
            title=f"{DocumentType(document['type']).label} ({document['id']})",
            text=f"{DocumentType(document['type']).label} for the training chart {chart['chart']}.",
            service_date=date.fromisoformat(document["service_date"]), acting_user=author,
            encounter=encounter if document.get("linked", True) else None, author=author.provider,
        )
        if document.get("signed"):
            note = do_sign_document(note, acting_user=author)
        if document.get("cosigned"):
            cosign.append(note)
    do_discharge_encounter(encounter, discharge_at=_moment(chart["discharge_at"]),
                           disposition=DischargeDisposition.HOME, acting_user=registrar)
    # Analysed now rather than when the transaction commits, so that the attending can co-sign through
    # the completion queue's own action (a co-signature answers the deficiency analysis opened).
    analyse_encounter(encounter)
    for note in cosign:
        # Only where a rule asks for one (NP and PA documents of an inpatient stay); elsewhere the
        # co-signature changes nothing the exercise grades, and the queue has nothing to co-sign.
        deficiency = Deficiency.objects.filter(encounter=encounter, document=note,
                                               kind=RuleKind.COSIGNATURE).first()
        if deficiency is None:
            continue
        note.refresh_from_db()
        do_cosign_document(deficiency, acting_user=providers[attending], expected_revision=note.revision)
    if cosign:
        analyse_encounter(encounter)


def build(exercise: Exercise) -> None:
    """Register each chart's patient, admit and discharge them with the documents as the setup says
    (signed or not, co-signed or not), through the charts and completion actions."""
    registrar = sandbox_staff("registrar")
    providers = _provider_users(exercise.setup)
    for chart in exercise.setup["charts"]:
        _build_chart(chart, providers, registrar)


def start_url(exercise: Exercise) -> str:
    from django.urls import reverse

    return reverse("patients-search")


DEFICIENCY = register_kind(ExerciseKind(
    name="deficiency",
    title="Deficiency analysis: missing documents, signatures and co-signatures",
    grade=grade,
    key_from_setup=key_from_setup,
    build=build,
    start_url=start_url,
    answer_help=(
        '{"deficiencies": [{"chart": "A", "kind": "signature", "document": "A2"}, '
        '{"chart": "A", "kind": "required_document", "document_type": "18842-5"}, '
        '{"chart": "B", "kind": "operative_report", "provider": "dr-shah"}]}'
    ),
))
