"""The coding edits: ONE validator for the desk, the API, the CLI and the coding workflow.

Input is a small dataclass (`EncounterCodes`): the diagnosis codes of one encounter in sequence
(principal or first-listed first), each with an optional present-on-admission indicator and the
documented wording it came from, plus the date of service, setting, sex and age. Output is a list
of `Finding`s, each with a machine name (`edit`), a severity and a message fit to show a coder.

Severities: `error` (the claim would be rejected or the coding is wrong), `warning` (probably
wrong, look again), `reminder` (an instructional note asks for another code, if it applies).
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field
from enum import StrEnum

from chartdesk.coding.codesets.records import reference_covers
from chartdesk.coding.edits.lookup import CodeFacts, NoteFacts, ReleaseFacts, facts_for
from chartdesk.coding.models import CodeSystem, NoteKind

ICD10CM_SHAPE = re.compile(r"^[A-Z][0-9A-Z][0-9A-Z]([0-9A-Z]{1,4})?$")
POA_VALUES = {"Y": "yes", "N": "no", "U": "documentation insufficient", "W": "clinically undetermined"}
POA_EXEMPT_MARKS = {"", "1"}
UNCERTAIN_WORDING = re.compile(
    r"\b(rule[ -]?out|r/o|probable|probably|suspected|suspect|suspicion of|possible|possibly|likely|questionable|"
    r"query|consistent with|compatible with|indicative of|suggestive of|versus|vs\.?)\b|\?",
    re.IGNORECASE,
)


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    REMINDER = "reminder"


@dataclass(frozen=True)
class CodedDiagnosis:
    code: str
    poa: str = ""
    source_text: str = ""


@dataclass(frozen=True)
class EncounterCodes:
    diagnoses: tuple[CodedDiagnosis, ...]
    service_date: datetime.date
    inpatient: bool = False
    sex: str = ""
    age: int | None = None
    system: str = CodeSystem.ICD10CM

    @classmethod
    def of(cls, codes: list[str], *, service_date: datetime.date, inpatient: bool = False, sex: str = "",
           age: int | None = None, poa: list[str] | None = None, texts: list[str] | None = None) -> EncounterCodes:
        """Convenience for callers holding parallel lists (the CLI, tests)."""
        poa = poa or []
        texts = texts or []
        return cls(
            tuple(
                CodedDiagnosis(code, poa[number] if number < len(poa) else "",
                               texts[number] if number < len(texts) else "")
                for number, code in enumerate(codes)
            ),
            service_date, inpatient, sex, age,
        )


@dataclass(frozen=True)
class Finding:
    edit: str
    severity: Severity
    message: str
    codes: tuple[str, ...] = ()
    position: int | None = None  # index of the diagnosis in sequence, when one is at fault

    def as_json(self) -> dict[str, object]:
        return {"edit": self.edit, "severity": str(self.severity), "message": self.message,
                "codes": list(self.codes), "position": self.position}


@dataclass
class Report:
    release_label: str
    findings: list[Finding] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not any(finding.severity == Severity.ERROR for finding in self.findings)

    def as_json(self) -> dict[str, object]:
        return {"release": self.release_label, "clean": self.clean,
                "findings": [finding.as_json() for finding in self.findings]}


def normalise(code: str) -> str:
    return code.strip().upper().replace(".", "")


def show(code: str) -> str:
    return f"{code[:3]}.{code[3:]}" if len(code) > 3 else code


def validate(encounter: EncounterCodes) -> Report:
    """Run every edit on one encounter's diagnosis codes; the findings come in sequence order."""
    codes = [normalise(diagnosis.code) for diagnosis in encounter.diagnoses]
    release = facts_for(encounter.system, encounter.service_date, codes)
    if release is None:
        return Report("", [Finding(
            "no_code_set", Severity.ERROR,
            f"No {CodeSystem(encounter.system).label} code set is loaded for {encounter.service_date:%Y-%m-%d}.",
        )])
    report = Report(release.label)
    found: list[tuple[int, str, CodeFacts]] = []
    seen: dict[str, int] = {}
    for position, (diagnosis, code) in enumerate(zip(encounter.diagnoses, codes, strict=True)):
        if code in seen:
            report.findings.append(Finding(
                "duplicate", Severity.ERROR,
                f"{show(code)} is listed twice (positions {seen[code] + 1} and {position + 1}); report it once.",
                (show(code),), position))
            continue
        seen[code] = position
        facts = _check_code(report, release, encounter, position, diagnosis.code, code)
        if facts is not None:
            found.append((position, code, facts))
            _check_patient(report, encounter, position, facts)
            _check_poa(report, encounter, position, diagnosis, facts)
        _check_wording(report, encounter, position, diagnosis, code)
    _check_pairs(report, found)
    _check_manifestations(report, found)
    _check_reminders(report, found)
    return report


def _check_code(report: Report, release: ReleaseFacts, encounter: EncounterCodes, position: int, typed: str,
                code: str) -> CodeFacts | None:
    add = report.findings.append
    if not ICD10CM_SHAPE.match(code):
        add(Finding("invalid_format", Severity.ERROR,
                    f"'{typed}' is not an ICD-10-CM code (a letter, then 2 characters, then up to 4 more).",
                    (typed,), position))
        return None
    facts = release.codes.get(code)
    if facts is None:
        placeholder = release.placeholder_for(code)
        if placeholder:
            add(Finding("placeholder_x_missing", Severity.ERROR,
                        f"{show(code)} lacks its placeholder X before the 7th character: did you mean "
                        f"{show(placeholder)}?", (show(code),), position))
        elif (elsewhere := release.valid_elsewhere.get(code)):
            add(Finding("not_valid_on_date", Severity.ERROR,
                        f"{show(code)} is not valid on {encounter.service_date:%Y-%m-%d} ({release.label}); "
                        f"it is in {elsewhere}.", (show(code),), position))
        else:
            add(Finding("unknown_code", Severity.ERROR,
                        f"{show(code)} is not in ICD-10-CM ({release.label}).", (show(code),), position))
        return None
    if facts.requires_seventh:
        example = release.first_seventh(code)
        add(Finding("seventh_character_missing", Severity.ERROR,
                    f"{facts.display} needs a 7th character ({facts.seventh_hint})"
                    + (f", e.g. {show(example[0])} {example[1]}." if example else "."),
                    (facts.display,), position))
    elif not facts.billable:
        below = release.first_billable_below(code)
        add(Finding("header_code", Severity.ERROR,
                    f"{facts.display} ({facts.title}) is a header, not a billable code: choose a code below it"
                    + (f", e.g. {show(below)}." if below else "."), (facts.display,), position))
    return facts


def _check_patient(report: Report, encounter: EncounterCodes, position: int, facts: CodeFacts) -> None:
    if facts.sex and encounter.sex and facts.sex != encounter.sex:
        wanted = "female" if facts.sex == "F" else "male"
        report.findings.append(Finding(
            "sex_conflict", Severity.ERROR,
            f"{facts.display} is for {wanted} patients only; this patient is recorded as "
            f"{'female' if encounter.sex == 'F' else 'male'} (source: {facts.limit_source}).",
            (facts.display,), position))
    if encounter.age is not None and (
        (facts.age_min is not None and encounter.age < facts.age_min)
        or (facts.age_max is not None and encounter.age > facts.age_max)
    ):
        span = "age 0 (newborn)" if facts.age_max == 0 else f"ages {facts.age_min} to {facts.age_max}"
        report.findings.append(Finding(
            "age_conflict", Severity.ERROR,
            f"{facts.display} is for {span}; this patient is {encounter.age} (source: {facts.limit_source}).",
            (facts.display,), position))


def _check_poa(report: Report, encounter: EncounterCodes, position: int, diagnosis: CodedDiagnosis,
               facts: CodeFacts) -> None:
    poa = diagnosis.poa.strip().upper()
    add = report.findings.append
    if not encounter.inpatient:
        return
    if facts.poa_exempt:
        if poa not in POA_EXEMPT_MARKS:
            add(Finding("poa_exempt", Severity.WARNING,
                        f"{facts.display} is exempt from present-on-admission reporting: leave the indicator "
                        f"blank (not '{poa}').", (facts.display,), position))
        return
    if not poa:
        add(Finding("poa_missing", Severity.ERROR,
                    f"{facts.display} needs a present-on-admission indicator on an inpatient claim "
                    "(Y, N, U or W).", (facts.display,), position))
    elif poa not in POA_VALUES:
        add(Finding("poa_invalid", Severity.ERROR,
                    f"'{poa}' is not a present-on-admission indicator for {facts.display}: use Y, N, U or W.",
                    (facts.display,), position))


def _check_wording(report: Report, encounter: EncounterCodes, position: int, diagnosis: CodedDiagnosis,
                   code: str) -> None:
    if encounter.inpatient or not diagnosis.source_text:
        return
    match = UNCERTAIN_WORDING.search(diagnosis.source_text)
    if match:
        report.findings.append(Finding(
            "uncertain_outpatient", Severity.ERROR,
            f"'{diagnosis.source_text}' is an uncertain diagnosis ('{match.group(0)}'): on an outpatient encounter "
            f"do not code it as {show(code)}; code the signs and symptoms instead.", (show(code),), position))


def _check_pairs(report: Report, found: list[tuple[int, str, CodeFacts]]) -> None:
    for first_number, (_position, code, facts) in enumerate(found):
        for other_position, other, other_facts in found[first_number + 1:]:
            note = facts.excludes1_covering(other) or other_facts.excludes1_covering(code)
            if note:
                report.findings.append(Finding(
                    "excludes1", Severity.ERROR,
                    f"{facts.display} and {other_facts.display} may not be reported together (Excludes1: "
                    f"'{note}').", (facts.display, other_facts.display), other_position))


def _check_manifestations(report: Report, found: list[tuple[int, str, CodeFacts]]) -> None:
    for number, (position, _code, facts) in enumerate(found):
        if not facts.manifestation:
            continue
        if position == 0:
            report.findings.append(Finding(
                "manifestation_first", Severity.ERROR,
                f"{facts.display} is a manifestation code and is never first-listed: sequence its underlying "
                "condition (etiology) first.", (facts.display,), position))
        earlier = [code for _, code, other in found[:number] if not other.manifestation]
        named = facts.notes_of(NoteKind.CODE_FIRST)
        references = [reference for note in named for reference in note.referenced]
        if not earlier:
            report.findings.append(Finding(
                "manifestation_without_etiology", Severity.ERROR,
                f"{facts.display} needs its etiology coded before it"
                + (f" (code first: {_summary(named)})." if named else "."), (facts.display,), position))
        elif references and not any(reference_covers(ref, code) for ref in references for code in earlier):
            report.findings.append(Finding(
                "manifestation_etiology_unnamed", Severity.WARNING,
                f"None of the codes before {facts.display} is an etiology its 'code first' note names "
                f"({_summary(named)}); check the sequence.", (facts.display,), position))


def _check_reminders(report: Report, found: list[tuple[int, str, CodeFacts]]) -> None:
    coded = [code for _, code, _ in found]
    reminded: set[tuple[str, ...]] = set()
    for position, code, facts in found:
        for kind, wording in ((NoteKind.USE_ADDITIONAL_CODE, "use additional code"),
                              (NoteKind.CODE_FIRST, "code first")):
            if kind == NoteKind.CODE_FIRST and facts.manifestation:
                continue  # covered by the manifestation edits above
            notes = facts.notes_of(kind)
            references = [reference for note in notes for reference in note.referenced]
            if not notes or any(reference_covers(ref, other) for ref in references for other in coded
                                if other != code):
                continue
            said = tuple(note.text for note in notes)
            if said in reminded:
                continue  # E11 and E11.9 on one encounter share the category's note: remind once
            reminded.add(said)
            report.findings.append(Finding(
                f"{kind}_reminder", Severity.REMINDER,
                f"{facts.display}: {wording} {_summary(notes)}, if it applies.", (facts.display,), position))


def _summary(notes: list[NoteFacts]) -> str:
    texts = [note.text.rstrip(":") for note in notes]
    if texts and texts[0].lower().startswith("code "):
        texts[0] = texts[0][5:]  # "use additional code" + "code to identify ..." reads as one phrase
    text = "; ".join(texts)
    return text if len(text) <= 240 else text[:237] + "..."
