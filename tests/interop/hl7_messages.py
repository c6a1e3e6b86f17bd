"""Synthetic HL7 v2 ADT messages for the tests (segments joined by CR, as on the wire)."""

from __future__ import annotations


def adt(event: str, control_id: str, *, mrn: str = "EXT1001", family: str = "Nakamura", given: str = "Aiko",
        born: str = "19720514", sex: str = "F", visit: str = "V5001", patient_class: str = "I",
        version: str = "2.5.1", admit: str = "20250601083000", discharge: str = "", extra: str = "",
        pid: str | None = None, sent: str = "20250601083500", event_time: str = "20250601083500") -> str:
    pid_segment = pid if pid is not None else (
        f"PID|1||{mrn}^^^MERCY^MR||{family}^{given}^Q||{born}|{sex}|||12 Elm St^^Springfield^IL^62704||"
        "(217)555-0142")
    segments = [
        f"MSH|^~\\&|EPICADT|MERCY|CHARTDESK|HIM|{sent}||ADT^{event}^ADT_{event}|{control_id}|P|{version}",
        f"EVN|{event}|{event_time}",
        pid_segment,
        pv1(patient_class=patient_class, visit=visit, admit=admit, discharge=discharge),
    ]
    if extra:
        segments.append(extra)
    return "\r".join(segments) + "\r"


def pv1(*, patient_class: str, visit: str, admit: str, discharge: str) -> str:
    fields = [""] * 46
    fields[0] = "PV1"
    fields[1], fields[2], fields[3] = "1", patient_class, "4W^12^A"
    fields[7], fields[10], fields[19] = "1234567893^Lister^Joseph", "MED", visit
    fields[36], fields[44], fields[45] = "01", admit, discharge
    return "|".join(fields)
