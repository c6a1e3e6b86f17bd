"""Physician query templates that do not lead (AHIMA/ACDIS "Guidelines for Achieving a Compliant Query Practice").

The question is fixed by the template and never names the answer the coder hopes for; the options
are the clinically reasonable alternatives, always followed by "Other" and "Clinically
undetermined" so the provider is never forced into a choice. The coder adds only the clinical
indicators, quoted verbatim from the record (the action checks that they are).
"""

from __future__ import annotations

from dataclasses import dataclass

OTHER = "Other (please specify)"
UNDETERMINED = "Clinically undetermined"


@dataclass(frozen=True)
class QueryTemplate:
    slug: str
    title: str
    question: str
    choices: tuple[str, ...]

    @property
    def options(self) -> list[str]:
        return [*self.choices, OTHER, UNDETERMINED]


TEMPLATES: tuple[QueryTemplate, ...] = (
    QueryTemplate(
        "heart_failure",
        "Heart failure: type and acuity",
        "Based on the clinical indicators below and your clinical judgment, please document the type and "
        "acuity of the heart failure being treated.",
        (
            "Acute systolic (HFrEF) heart failure",
            "Chronic systolic (HFrEF) heart failure",
            "Acute on chronic systolic (HFrEF) heart failure",
            "Acute diastolic (HFpEF) heart failure",
            "Chronic diastolic (HFpEF) heart failure",
            "Acute on chronic diastolic (HFpEF) heart failure",
            "Combined systolic and diastolic heart failure",
        ),
    ),
    QueryTemplate(
        "anemia",
        "Anemia: type",
        "Based on the clinical indicators below and your clinical judgment, please document the type of "
        "anemia, if any, being evaluated or treated.",
        (
            "Acute blood loss anemia",
            "Iron deficiency anemia",
            "Anemia of chronic disease",
            "Anemia due to chemotherapy",
            "No anemia",
        ),
    ),
    QueryTemplate(
        "abnormal_finding",
        "Clinical significance of an abnormal finding",
        "The findings below are documented in the record. Please document their clinical significance.",
        (
            "Clinically significant: a diagnosis explains them (please document it)",
            "Not clinically significant",
        ),
    ),
    QueryTemplate(
        "present_on_admission",
        "Present on admission",
        "Based on the clinical indicators below, please document whether the condition was present at the "
        "time the order for inpatient admission was written.",
        (
            "Present at the time of inpatient admission",
            "Not present at the time of inpatient admission",
        ),
    ),
    QueryTemplate(
        "conflicting_documentation",
        "Conflicting documentation",
        "The record holds the conflicting documentation quoted below. Please clarify the condition that was "
        "evaluated, treated or monitored.",
        (
            "The first documented condition is correct",
            "The second documented condition is correct",
            "Both conditions were present",
        ),
    ),
)

TEMPLATES_BY_SLUG = {template.slug: template for template in TEMPLATES}
