"""Reads of the inquiry files: a 270/271/276/277 names many patients, so it opens only for a user who may
work claims and open every chart in it, and the download goes into each of those patients' audit trails
(as an 837 batch does, billing/access.py)."""

from __future__ import annotations

from typing import Any

from chartdesk.audit.models import AuditAction
from chartdesk.billing.access import _audit_each, _open_all
from chartdesk.billing.inquiries.models import InquiryFile
from chartdesk.core.errors import NotFound
from chartdesk.core.forms import record_id


def _patient_ids(inquiry: InquiryFile) -> set[int]:
    ids: set[int] = set()
    ids |= set(inquiry.eligibility_checks.values_list("coverage__patient_id", flat=True))
    ids |= {pid for pid in inquiry.eligibility_results.values_list("coverage__patient_id", flat=True) if pid}
    ids |= set(inquiry.status_checks.values_list("claim__patient_id", flat=True))
    ids |= {pid for pid in inquiry.status_results.values_list("claim__patient_id", flat=True) if pid}
    return ids


def access_inquiry_file_by_id(user: Any, inquiry_id: Any) -> InquiryFile:
    """An inquiry file, if `user` may work claims and open the chart of everyone it names; audited per chart."""
    key = record_id(inquiry_id, "inquiry file")
    inquiry = InquiryFile.objects.filter(pk=key).first()
    if inquiry is None:
        raise NotFound("inquiry file")
    patients = _open_all(user, _patient_ids(inquiry), "inquiry file")
    _audit_each(user, patients, AuditAction.DOWNLOAD, "x12_inquiry", inquiry.pk,
                {"kind": inquiry.kind, "isa": inquiry.interchange_control})
    return inquiry
