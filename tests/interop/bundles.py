"""Small synthetic FHIR R4 data for the import tests, made here (never downloaded)."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

PATIENT_ID = "pat-0001"
NPI = "1234567893"  # passes the NPI check digit


def patient(patient_id: str = PATIENT_ID, family: str = "Quigley812", given: str = "Rosalind44",
            born: str = "1961-02-17", gender: str = "female") -> dict[str, Any]:
    return {
        "resourceType": "Patient", "id": patient_id,
        "identifier": [{"system": "https://example.org/ehr", "value": patient_id},
                       {"type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "MR"}]},
                        "system": "http://hospital.example.org", "value": f"MR-{patient_id}"},
                       {"type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "SS"}]},
                        "system": "http://hl7.org/fhir/sid/us-ssn", "value": "999-12-3456"}],
        "name": [{"use": "official", "family": family, "given": [given], "prefix": ["Ms."]}],
        "telecom": [{"system": "phone", "value": "217-555-0142", "use": "home"}],
        "gender": gender, "birthDate": born,
        "address": [{"line": ["12 Elm St"], "city": "Springfield", "state": "IL", "postalCode": "62704"}],
    }


def practitioner() -> dict[str, Any]:
    return {"resourceType": "Practitioner", "id": "prac-1",
            "identifier": [{"system": "http://hl7.org/fhir/sid/us-npi", "value": NPI}],
            "name": [{"family": "Lister12", "given": ["Joseph3"], "prefix": ["Dr."]}]}


def organization() -> dict[str, Any]:
    return {"resourceType": "Organization", "id": "org-1", "name": "Springfield General",
            "address": [{"line": ["1 Hospital Way"], "city": "Springfield", "state": "IL", "postalCode": "62701"}]}


def encounter(encounter_id: str = "enc-1", patient_ref: str = f"Patient/{PATIENT_ID}") -> dict[str, Any]:
    return {"resourceType": "Encounter", "id": encounter_id, "status": "finished",
            "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "IMP"},
            "type": [{"text": "Medicine"}], "subject": {"reference": patient_ref},
            "participant": [{"individual": {"reference": f"Practitioner?identifier=http://hl7.org/fhir/sid/us-npi|{NPI}"}}],
            "period": {"start": "2024-03-01T08:00:00-05:00", "end": "2024-03-04T11:00:00-05:00"},
            "reasonCode": [{"coding": [{"system": "http://snomed.info/sct", "code": "233604007",
                                        "display": "Pneumonia"}]}]}


def condition(patient_ref: str = f"Patient/{PATIENT_ID}", encounter_ref: str = "Encounter/enc-1") -> dict[str, Any]:
    return {"resourceType": "Condition", "id": "cond-1",
            "clinicalStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                                           "code": "resolved"}]},
            "verificationStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-ver-status",
                                               "code": "confirmed"}]},
            "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-category",
                                      "code": "encounter-diagnosis"}]}],
            "code": {"coding": [{"system": "http://snomed.info/sct", "code": "233604007",
                                 "display": "Pneumonia (disorder)"}]},
            "subject": {"reference": patient_ref}, "encounter": {"reference": encounter_ref},
            "onsetDateTime": "2024-02-27T10:00:00-05:00", "abatementDateTime": "2024-03-20T10:00:00-05:00",
            "recordedDate": "2024-03-01T09:00:00-05:00"}


def procedure(patient_ref: str = f"Patient/{PATIENT_ID}") -> dict[str, Any]:
    return {"resourceType": "Procedure", "id": "proc-1", "status": "completed",
            "code": {"coding": [{"system": "http://snomed.info/sct", "code": "399208008",
                                 "display": "Plain chest X-ray"}]},
            "subject": {"reference": patient_ref}, "encounter": {"reference": "Encounter/enc-1"},
            "performedPeriod": {"start": "2024-03-01T09:30:00-05:00", "end": "2024-03-01T09:45:00-05:00"}}


def note(patient_ref: str = f"Patient/{PATIENT_ID}", text: str = "Admitted with pneumonia.") -> dict[str, Any]:
    return {"resourceType": "DocumentReference", "id": "doc-1", "status": "current",
            "type": {"coding": [{"system": "http://loinc.org", "code": "34117-2",
                                 "display": "History and physical note"}]},
            "subject": {"reference": patient_ref}, "date": "2024-03-01T12:00:00-05:00",
            "author": [{"reference": "Practitioner/prac-1"}],
            "content": [{"attachment": {"contentType": "text/plain; charset=utf-8",
                                        "data": base64.b64encode(text.encode()).decode()}}],
            "context": {"encounter": [{"reference": "Encounter/enc-1"}],
                        "period": {"start": "2024-03-01T12:00:00-05:00"}}}


def collection(*resources: dict[str, Any], kind: str = "collection") -> dict[str, Any]:
    entries = []
    for resource in resources:
        entry: dict[str, Any] = {"fullUrl": f"urn:uuid:{resource['id']}", "resource": resource}
        if kind == "transaction":
            entry["request"] = {"method": "POST", "url": resource["resourceType"]}
        entries.append(entry)
    return {"resourceType": "Bundle", "type": kind, "entry": entries}


def full_chart() -> list[dict[str, Any]]:
    return [organization(), practitioner(), patient(), encounter(), condition(), procedure(), note()]


def write_bundle(folder: Path, resources: list[dict[str, Any]], kind: str = "collection",
                 name: str = "bundle.json") -> Path:
    path = folder / name
    path.write_text(json.dumps(collection(*resources, kind=kind), indent=2))
    return path


def write_ndjson(folder: Path, resources: list[dict[str, Any]], name: str = "data.ndjson") -> Path:
    path = folder / name
    path.write_text("".join(json.dumps(resource) + "\n" for resource in resources))
    return path
