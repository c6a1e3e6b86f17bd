"""Claims: correct the errors in rejected claims against the source documents (insurance card,
encounter form, provider directory).

Every planted error is one the billing scrubber rejects (its own line and subscriber edits and the
claim-form code syntax), and `scrubber_findings` runs those edits on a claim of the exercise, so the
key says in the scrubber's words why each claim bounced. Done on the real billing screens: claims_desk.py
builds the rejected claims in the sandbox and reads the corrected ones back into the answer below.

Exercise setup: {"claims": [{"id": "C1", "card": {"member_id": "...", "payer_id": "..."},
  "encounter_form": {"diagnoses": ["E11.9"], "lines": [{"code": "99214", "units": 1, "charge": "145.00",
  "pointers": [1], "modifiers": []}]}, "rendering_npi": "1234567893",
  "claim": {"member_id": "", "payer_id": "...", "diagnoses": [...], "lines": [{..., "rendering_npi": "..."}]}}]}
Answer: {"claims": {"C1": [{"field": "member_id", "value": "XJH123456789"},
                           {"field": "pointers", "line": 1, "value": [1]}]}}
Key: the same list per claim, each correction with the scrubber rule and message it answers.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from types import SimpleNamespace
from typing import Any

from chartdesk.billing import codes
from chartdesk.billing.scrubber import _line_findings, _subscriber_findings
from chartdesk.training.grading import AnswerError, Exercise, ExerciseKind, FeedbackItem, Grade, register_kind
from chartdesk.training.kinds import claims_desk
from chartdesk.training.kinds._common import field, only_known, require_list, require_mapping

CLAIM_FIELDS = ("member_id", "payer_id", "diagnoses")
LINE_FIELDS = ("code", "units", "charge", "pointers", "modifiers", "rendering_npi")
# Which field each scrubber edit is about, so a correction is told the edit that rejected it.
RULE_FIELDS = {
    "missing_subscriber": "member_id", "missing_payer_id": "payer_id", "pointer_missing": "pointers",
    "pointer_too_many": "pointers", "pointer_out_of_range": "pointers", "pointer_repeated": "pointers",
    "modifier_invalid": "modifiers", "zero_charge": "charge", "zero_units": "units",
    "missing_rendering_npi": "rendering_npi",
}
SOURCES = {"member_id": "insurance card", "payer_id": "insurance card", "rendering_npi": "provider directory"}


def normal(name: str, value: Any, where: str) -> Any:
    """A field's value in one form, so "e11.9" and "E119", 1 and "1.0" compare equal."""
    try:
        if name == "diagnoses":
            return tuple(codes.normal_diagnosis(str(code)) for code in require_list(value, where))
        if name == "modifiers":
            return tuple(str(modifier).strip().upper() for modifier in require_list(value, where))
        if name == "pointers":
            pointers = require_list(value, where)
            if not all(isinstance(pointer, int) and not isinstance(pointer, bool) for pointer in pointers):
                raise AnswerError(f"{where}: pointers are whole numbers (1 for the first diagnosis)")
            return tuple(pointers)
        if name in ("units", "charge"):
            if isinstance(value, bool):
                raise AnswerError(f"{where}: {name} must be a number")
            return Decimal(str(value)).normalize()
    except InvalidOperation:
        raise AnswerError(f"{where}: {name} must be a number") from None
    if not isinstance(value, str):
        raise AnswerError(f"{where}: {name} must be a string")
    return value.strip().upper()


def _line(number: int, line: Mapping[str, Any]) -> SimpleNamespace:
    npi = str(line.get("rendering_npi", ""))
    return SimpleNamespace(
        line_number=number, code=str(line["code"]), diagnosis_pointers=list(line["pointers"]),
        modifiers=list(line.get("modifiers", [])), amount=Decimal(str(line["charge"])),
        units=Decimal(str(line["units"])), rendering_provider=SimpleNamespace(npi=npi) if npi else None,
    )


def scrubber_findings(claim: Mapping[str, Any]) -> list[tuple[str, str, int | None]]:
    """The billing scrubber's subscriber, line and code-syntax edits on an exercise claim."""
    coverage = SimpleNamespace(member_id=str(claim["member_id"]), patient_is_subscriber=True,
                               payer=SimpleNamespace(payer_id=str(claim["payer_id"]), name="The payer"))
    found = [(finding.rule, finding.message, finding.line_number)
             for finding in _subscriber_findings(coverage)]  # type: ignore[arg-type]
    for code in claim["diagnoses"]:
        if not codes.is_icd10cm(code):
            found.append(("code_invalid", f"{code} is not a valid ICD-10-CM code.", None))
    for number, line in enumerate(claim["lines"], start=1):
        found += [(finding.rule, finding.message, finding.line_number)
                  for finding in _line_findings(_line(number, line), len(claim["diagnoses"]))]  # type: ignore[arg-type]
        if codes.procedure_system(str(line["code"])) is None:
            found.append(("code_invalid", f"{line['code']} is not a valid CPT or HCPCS code.", number))
    return found


def corrected(entry: Mapping[str, Any]) -> dict[str, Any]:
    """The claim as the source documents say it should be."""
    form = entry["encounter_form"]
    return {
        "member_id": entry["card"]["member_id"], "payer_id": entry["card"]["payer_id"],
        "diagnoses": list(form["diagnoses"]),
        "lines": [{**line, "rendering_npi": entry["rendering_npi"]} for line in form["lines"]],
    }


def key_from_setup(setup: Mapping[str, Any]) -> dict[str, Any]:
    """Each claim's corrections (where the claim differs from its sources), with the scrubber's reasons."""
    key: dict[str, Any] = {}
    for entry in setup["claims"]:
        claim, right = entry["claim"], corrected(entry)
        findings = scrubber_findings(claim)
        fixes = []
        for name in CLAIM_FIELDS:
            if normal(name, claim[name], name) != normal(name, right[name], name):
                fixes.append({"field": name, "value": right[name]})
        for number, (line, right_line) in enumerate(zip(claim["lines"], right["lines"], strict=True), start=1):
            for name in LINE_FIELDS:
                if normal(name, line.get(name, [] if name == "modifiers" else ""), name) != normal(
                        name, right_line.get(name, [] if name == "modifiers" else ""), name):
                    fixes.append({"field": name, "line": number, "value": right_line.get(name, [])})
        for fix in fixes:
            reasons = [(rule, message) for rule, message, line in findings if line == fix.get("line")
                       and RULE_FIELDS.get(rule, "code" if line else "diagnoses") == fix["field"]]
            fix["rule"] = "; ".join(rule for rule, _ in reasons)
            fix["message"] = " ".join(message for _, message in reasons)
        key[entry["id"]] = fixes
    return {"claims": key}


def _read_corrections(claim_id: str, entry: Mapping[str, Any], listed: Any) -> dict[tuple[str, int | None], Any]:
    corrections: dict[tuple[str, int | None], Any] = {}
    line_count = len(entry["claim"]["lines"])
    for position, correction in enumerate(require_list(listed, f"claim {claim_id}"), start=1):
        where = f"claim {claim_id} correction {position}"
        correction = require_mapping(correction, where)
        name = field(correction, "field", where)
        only_known([str(name)], CLAIM_FIELDS + LINE_FIELDS, f"{where} field")
        line = correction.get("line")
        if name in LINE_FIELDS:
            if not isinstance(line, int) or isinstance(line, bool) or not 1 <= line <= line_count:
                raise AnswerError(f"{where}: {name} is a line field: give 'line', 1 to {line_count}")
        elif line is not None:
            raise AnswerError(f"{where}: {name} is a claim field and has no line")
        corrections[(name, line)] = normal(name, field(correction, "value", where), where)
    return corrections


def _current(entry: Mapping[str, Any], name: str, line: int | None) -> Any:
    source = entry["claim"] if line is None else entry["claim"]["lines"][line - 1]
    return normal(name, source.get(name, [] if name == "modifiers" else ""), name)


def grade(exercise: Exercise, answer: Mapping[str, Any]) -> Grade:
    entries = {str(entry["id"]): entry for entry in exercise.setup.get("claims", [])}
    given = require_mapping(field(answer, "claims", "the answer"), "'claims'")
    only_known(given, entries, "the answer's claims")
    items = []
    for claim_id, entry in entries.items():
        corrections = _read_corrections(claim_id, entry, given.get(claim_id, []))
        expected = exercise.key["claims"][claim_id]
        for fix in expected:
            where = (fix["field"], fix.get("line"))
            right = normal(fix["field"], fix["value"], fix["field"])
            done = corrections.get(where) == right
            place = f"line {fix['line']} {fix['field']}" if fix.get("line") else fix["field"]
            source = SOURCES.get(fix["field"], "encounter form")
            items.append(FeedbackItem(
                f"Claim {claim_id}: {place}", 1.0 if done else 0.0, 1.0,
                (f"{'Corrected' if done else 'Not corrected'}. The scrubber rejects it ({fix['rule'] or 'mismatch'}): "
                 f"{fix['message'] or 'the claim does not match its source.'} Right value: {fix['value']} "
                 f"(from the {source})."),
            ))
        broken = sorted(f"line {line} {name}" if line else name for (name, line), value in corrections.items()
                        if (name, line) not in {(fix["field"], fix.get("line")) for fix in expected}
                        and value != _current(entry, name, line))
        items.append(FeedbackItem(
            f"Claim {claim_id}: nothing right changed", 0.0 if broken else 1.0, 1.0,
            (f"Changed though it was right: {', '.join(broken)}. " if broken else "No right value changed. ")
            + "Correct only what the rejection and the source documents show is wrong; a resubmitted claim "
              "must still match the chart.",
        ))
    return Grade(tuple(items))


CLAIMS = register_kind(ExerciseKind(
    name="claims",
    title="Claims: correct the errors in rejected claims",
    grade=grade,
    build=claims_desk.build,
    answer_from_records=claims_desk.answer_from_records,
    start_url=claims_desk.start_url,
    desk_links=claims_desk.desk_links,
    key_from_setup=key_from_setup,
    answer_help=(
        '{"claims": {"C1": [{"field": "member_id", "value": "XJH123456789"}, '
        '{"field": "pointers", "line": 1, "value": [1, 2]}]}}: the corrected fields of each claim.'
    ),
))
