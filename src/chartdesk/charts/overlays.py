"""Overlays (two people in one MRN): find charts whose encounters' stated demographics conflict.

Every encounter keeps what its source stated about the person (`StatedDemographics`: the HL7 PID,
the FHIR Patient, the desk, the CSV row). A chart is an overlay candidate when two of those
statements, or one of them and the chart itself, disagree in a way one person does not explain:

- birth date, sex and SSN are compared with the MPI model's own comparisons
  (patients.linkage_match.compare): a level whose weight is negative (evidence of two people) is a
  conflict, so a typo ("one digit off", day and month swapped) or the same last four SSN digits
  is not. Names are never a conflict on their own (marriage, nicknames); their level is shown;
- a sex stated before the person's first birthday is not compared: newborns' sex is recorded
  provisionally and corrected later;
- identifiers: two different values of one type from one issuer (the sending system's patient
  id, a plan's member number). Retired MRNs of merges are left out.

`do_check_overlay` runs at intake (every new statement) and in the scan (`do_scan_overlays`, the
job and `chartdesk patients overlays scan`). It keeps one `OverlayCase` per chart up to date.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import transaction
from django.utils import timezone

from chartdesk.audit.actions import record_event
from chartdesk.audit.models import AuditAction
from chartdesk.charts.models import Encounter, OverlayCase, OverlayStatus, StatedDemographics
from chartdesk.core.dates import age_on
from chartdesk.core.permissions import require_permission
from chartdesk.patients.linkage import FIELD_LABELS, LinkRecord
from chartdesk.patients.linkage_match import compare, current_model
from chartdesk.patients.merge_actions import MERGE_PERMISSION, RETIRED_MRN_ISSUER
from chartdesk.patients.models import IdentifierType, Patient, PatientStatus
from chartdesk.patients.validation import identifier_value_key

MODEL_FIELDS = ("birth_date", "sex", "ssn")  # compared with the MPI model's comparisons
CHART = "chart"


@dataclass(frozen=True)
class Statement:
    """One source's view of the person: an encounter's stated demographics, or the chart itself."""

    key: str  # "chart" or the StatedDemographics pk
    label: str  # what the desk shows: "Visit 10000012 (HL7 v2 ADT)" or "The chart now"
    given_name: str
    family_name: str
    birth_date: date | None
    sex: str
    ssn_digest: str
    ssn_last4: str
    identifiers: tuple[tuple[str, str, str], ...]  # (type, issuer, value)
    stated_on: date | None  # the encounter's date (None for the chart)
    encounter_id: int | None = None

    def record(self) -> LinkRecord:
        return LinkRecord(unique_id=self.key, given_name=self.given_name, family_name=self.family_name,
                          birth_date=self.birth_date.isoformat() if self.birth_date else "", sex=self.sex,
                          ssn_key=self.ssn_digest, ssn_last4=self.ssn_last4)

    def same_person_fields(self) -> tuple[Any, ...]:
        """What detection reads: two statements equal here are compared once."""
        return (self.given_name.upper(), self.family_name.upper(), self.birth_date, self.sex, self.ssn_digest,
                tuple(sorted(self.identifiers)))


def chart_statement(patient: Patient) -> Statement:
    identifiers = tuple((i.type, i.issuer, i.value) for i in patient.identifiers.filter(active=True).order_by("pk")
                        if i.type != IdentifierType.RETIRED_MRN and i.issuer != RETIRED_MRN_ISSUER)
    return Statement(key=CHART, label="The chart now", given_name=patient.given_name,
                     family_name=patient.family_name, birth_date=patient.birth_date, sex=patient.sex,
                     ssn_digest=patient.ssn_digest, ssn_last4=patient.ssn_last4, identifiers=identifiers,
                     stated_on=None)


def encounter_statements(patient: Patient) -> list[Statement]:
    rows = (StatedDemographics.objects.filter(encounter__patient=patient).select_related("encounter")
            .order_by("stated_at", "pk"))
    return [Statement(
        key=str(row.pk), label=f"Visit {row.encounter.account_number} ({row.get_source_display()})",
        given_name=row.given_name, family_name=row.family_name, birth_date=row.birth_date, sex=row.sex,
        ssn_digest=row.ssn_digest, ssn_last4=row.ssn_last4,
        identifiers=tuple((str(i.get("type", "")), str(i.get("issuer", "")), str(i.get("value", "")))
                          for i in row.identifiers),
        stated_on=timezone.localtime(row.encounter.admit_at).date(), encounter_id=row.encounter_id,
    ) for row in rows]


def _shown(statement: Statement, field: str) -> str:
    if field == "birth_date":
        return statement.birth_date.isoformat() if statement.birth_date else ""
    if field == "sex":
        return statement.sex
    return f"***-**-{statement.ssn_last4}" if statement.ssn_last4 else "(on file)"


def _value_key(statement: Statement, field: str) -> str:
    if field == "ssn":  # the keyed digest, never the number, in stored keys
        return statement.ssn_digest[:16]
    return _shown(statement, field)


def _newborn(statement: Statement, birth: date | None) -> bool:
    born = statement.birth_date or birth
    return bool(born and statement.stated_on and statement.stated_on >= born and age_on(born, statement.stated_on) < 1)


def _side(statement: Statement, value: str) -> dict[str, Any]:
    return {"statement": statement.key, "label": statement.label, "encounter_id": statement.encounter_id,
            "value": value}


def _conflict(field: str, label: str, level: str, weight: float, pair: tuple[Statement, Statement],
              values: tuple[str, str], keys: tuple[str, str], names: str) -> dict[str, Any]:
    key = f"{field}:" + "|".join(sorted(keys))
    return {"key": key, "field": field, "label": label, "level": level, "weight": round(weight, 2),
            "names": names, "sides": [_side(pair[0], values[0]), _side(pair[1], values[1])]}


def _identifier_conflicts(left: Statement, right: Statement, names: str) -> list[dict[str, Any]]:
    found = []
    theirs: dict[tuple[str, str], set[str]] = {}
    for kind, issuer, value in right.identifiers:
        theirs.setdefault((kind, issuer.upper()), set()).add(value)
    for kind, issuer, value in left.identifiers:
        for other in sorted(theirs.get((kind, issuer.upper()), ())):
            if identifier_value_key(other) != identifier_value_key(value):
                label = f"Identifier {kind} from {issuer}"
                found.append(_conflict(f"identifier:{kind}:{issuer.upper()}", label, "different", 0.0, (left, right),
                                       (value, other), (identifier_value_key(value), identifier_value_key(other)),
                                       names))
    return found


def pair_conflicts(left: Statement, right: Statement, *, birth: date | None,
                   model_fields: bool = True) -> list[dict[str, Any]]:
    """What in these two statements says two people (empty when one person explains them);
    identifiers only unless `model_fields`."""
    levels, _ = compare(current_model(), left.record().row(), right.record().row())
    names = f"given name {levels['given_name'][0]}, family name {levels['family_name'][0]}"
    found = []
    for field in MODEL_FIELDS if model_fields else ():
        level, weight = levels[field]
        if weight >= 0:
            continue
        if field == "sex" and (_newborn(left, birth) or _newborn(right, birth)):
            continue  # a newborn's provisional sex, corrected later
        found.append(_conflict(field, FIELD_LABELS[field], level, weight, (left, right),
                               (_shown(left, field), _shown(right, field)),
                               (_value_key(left, field), _value_key(right, field)), names))
    return found + _identifier_conflicts(left, right, names)


def _chart_identifier_conflicts(chart: Statement) -> list[dict[str, Any]]:
    """Two values of one type from one issuer on the chart itself (a wrong merge, a feed)."""
    found: list[dict[str, Any]] = []
    for position, (kind, issuer, value) in enumerate(chart.identifiers):
        for other_kind, other_issuer, other in chart.identifiers[position + 1:]:
            if (kind, issuer.upper()) == (other_kind, other_issuer.upper()) and \
                    identifier_value_key(value) != identifier_value_key(other):
                found.append(_conflict(f"identifier:{kind}:{issuer.upper()}", f"Identifier {kind} from {issuer}",
                                       "different", 0.0, (chart, chart), (value, other),
                                       (identifier_value_key(value), identifier_value_key(other)), ""))
    return found


def find_conflicts(patient: Patient) -> list[dict[str, Any]]:
    """Every conflict in this chart, one per field and pair of values (the first pair of statements
    that shows it), strongest first."""
    chart = chart_statement(patient)
    distinct: dict[tuple[Any, ...], Statement] = {chart.same_person_fields(): chart}
    for statement in encounter_statements(patient):
        # Identical statements are compared once; the chart's own values come first.
        distinct.setdefault(statement.same_person_fields(), statement)
    statements = list(distinct.values())
    by_key: dict[str, dict[str, Any]] = {}
    for conflict in _chart_identifier_conflicts(chart):
        by_key.setdefault(conflict["key"], conflict)
    # Birth date, sex and SSN against the chart: two statements that are each a typo of the chart
    # (one digit off one way, day and month swapped the other) are not two people, though they differ
    # more from each other. A feed that rewrote the chart to the other person leaves the earlier
    # statements conflicting with it, so the chart is still the one reference. Identifiers are
    # compared between every two statements: the chart does not keep every sender's id.
    for position, left in enumerate(statements):
        for right in statements[position + 1:]:
            for conflict in pair_conflicts(left, right, birth=patient.birth_date,
                                           model_fields=left.key == CHART):
                by_key.setdefault(conflict["key"], conflict)
    return sorted(by_key.values(), key=lambda conflict: (conflict["weight"], conflict["key"]))


def _strength(conflicts: list[dict[str, Any]]) -> float:
    """The evidence against one person: per field the strongest conflict (bits); an identifier
    conflict counts as much as a different SSN, which is what it is for its issuer."""
    strongest: dict[str, float] = {}
    for conflict in conflicts:
        weight = -conflict["weight"] if conflict["weight"] < 0 else 10.0
        strongest[conflict["field"]] = max(strongest.get(conflict["field"], 0.0), weight)
    return round(sum(strongest.values()), 2)


def _fingerprint(keys: list[str]) -> str:
    return hashlib.sha256("\n".join(sorted(keys)).encode()).hexdigest()[:16]


@transaction.atomic
def do_check_overlay(patient: Patient, *, acting_user: Any, trigger: str) -> OverlayCase | None:
    """Bring this chart's overlay case up to date; returns it when it is (again) to review.

    A chart with a conflict goes on the list; a chart decided "not an overlay" or "confirmed"
    comes back only with a conflict that decision did not cover. Runs inside the intake's
    transaction (the interface account acts) and in the scan. Audited when a case opens or reopens."""
    conflicts = find_conflicts(patient)
    keys = sorted({conflict["key"] for conflict in conflicts})
    now = timezone.now()
    # Row lock: intake and a scan may check one chart at once; one of them opens the case.
    case = OverlayCase.objects.select_for_update().filter(patient=patient).first()
    if case is None:
        if not conflicts:
            return None
        case = OverlayCase(patient=patient, first_found_at=now)
    before = case.status if case.pk else ""
    case.conflicts, case.conflict_keys, case.strength, case.found_at = conflicts, keys, _strength(conflicts), now
    new = sorted(set(keys) - set(case.dismissed_keys))
    reopened = bool(case.pk and case.status in (OverlayStatus.NOT_OVERLAY, OverlayStatus.CONFIRMED) and new)
    if reopened:
        case.status, case.assigned_to = OverlayStatus.OPEN, None
    case.save()
    if not before or reopened:
        record_event(AuditAction.CREATE if not before else AuditAction.UPDATE, user=acting_user, patient=patient,
                     object_type="overlay_case", object_id=case.pk,
                     detail={"found_by": trigger, "status": case.status, "fields": case.fields,
                             "conflicts": _fingerprint(new or keys), "reopened_from": before or None})
    return case if case.status in (OverlayStatus.OPEN, OverlayStatus.RESEARCH) and conflicts else None


def charts_with_statements() -> list[int]:
    """Active charts an overlay can be on: those with stated demographics or several identifiers."""
    from django.db.models import Count

    from chartdesk.patients.models import PatientIdentifier

    stated = set(Encounter.objects.filter(stated_demographics__isnull=False, patient__status=PatientStatus.ACTIVE)
                 .values_list("patient_id", flat=True).distinct())
    several = set(PatientIdentifier.objects.filter(active=True, patient__status=PatientStatus.ACTIVE)
                  .exclude(type=IdentifierType.RETIRED_MRN).values("patient_id", "type")
                  .annotate(count=Count("pk")).filter(count__gt=1).values_list("patient_id", flat=True))
    return sorted(stated | several)


def do_scan_overlays(*, acting_user: Any, progress: Any = None) -> dict[str, Any]:
    """Check every chart that has stated demographics; counts of charts checked and cases to review.
    One transaction per chart (a long scan holds no lock on the index); audited (counts only)."""
    require_permission(acting_user, MERGE_PERMISSION, "scan for overlays")
    ids = charts_with_statements()
    to_review = []
    for done, patient in enumerate(Patient.objects.filter(pk__in=ids).order_by("pk").iterator(chunk_size=500), 1):
        case = do_check_overlay(patient, acting_user=acting_user, trigger="scan")
        if case is not None:
            to_review.append(case.pk)
        if progress is not None and done % 100 == 0:
            progress(100 * done / len(ids), f"{done} of {len(ids)} charts checked")
    open_cases = OverlayCase.objects.filter(status__in=(OverlayStatus.OPEN, OverlayStatus.RESEARCH)).exclude(
        conflict_keys=[])
    summary = {"charts_checked": len(ids), "to_review": len(to_review), "open_cases": open_cases.count()}
    record_event(AuditAction.CREATE, user=acting_user, object_type="overlay_scan", detail=summary)
    return summary


def case_as_json(case: OverlayCase) -> dict[str, Any]:
    """One case for `patients overlays scan --json`: the MRN, status, strength and each conflict
    (field, level, the two sides' labels and values; an SSN only as its last four digits)."""
    return {"case_id": case.pk, "mrn": case.patient.mrn, "status": case.status, "strength": case.strength,
            "fields": case.fields,
            "conflicts": [{"field": c["field"], "label": c["label"], "level": c["level"], "weight": c["weight"],
                           "sides": [{"label": side["label"], "value": side["value"]} for side in c["sides"]]}
                          for c in case.conflicts]}


def scan_for_command(*, acting_user: Any) -> dict[str, Any]:
    """The scan as the command runs it: its counts and every case to review, strongest first."""
    summary = do_scan_overlays(acting_user=acting_user)
    cases = (OverlayCase.objects.filter(status__in=(OverlayStatus.OPEN, OverlayStatus.RESEARCH))
             .exclude(conflict_keys=[]).select_related("patient").order_by("-strength", "pk"))
    return {"summary": summary, "overlays": [case_as_json(case) for case in cases]}
