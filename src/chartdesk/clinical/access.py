"""Every read of conditions and procedures: permission, restriction, audit (NotFound for both
forbidden and missing), as charts.access does for encounters."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import QuerySet

from chartdesk.audit.actions import record_event
from chartdesk.audit.models import AuditAction
from chartdesk.clinical.models import Condition, Procedure
from chartdesk.core.errors import NotFound
from chartdesk.core.forms import record_id
from chartdesk.patients.access import access_patient_by_id, break_the_glass_reason
from chartdesk.patients.models import Patient

VIEW_CHART = "patients.view_chart"


def _access_entry(user: Any, model: Any, entry_id: Any, what: str) -> Any:
    key = record_id(entry_id, what)
    if not user.is_authenticated or not user.has_perm(VIEW_CHART):
        raise NotFound(what)
    entry = model.objects.select_related("patient", "encounter", "recorder").filter(pk=key).first()
    if entry is None:
        raise NotFound(what)
    patient = access_patient_by_id(user, entry.patient_id, audit=False)
    record_event(AuditAction.VIEW, user=user, patient=patient, object_type=what, object_id=entry.pk,
                 break_the_glass_reason=break_the_glass_reason(user, patient))
    return entry


def access_condition_by_id(user: Any, condition_id: Any) -> Condition:
    """The condition, if `user` may open its patient's chart; the view is audited."""
    return _access_entry(user, Condition, condition_id, "condition")  # type: ignore[no-any-return]


def access_procedure_by_id(user: Any, procedure_id: Any) -> Procedure:
    """The procedure, if `user` may open its patient's chart; the view is audited."""
    return _access_entry(user, Procedure, procedure_id, "procedure")  # type: ignore[no-any-return]


def _in_chart(user: Any, model: Any, patient: Patient) -> QuerySet[Any]:
    if not user.is_authenticated or not user.has_perm(VIEW_CHART):
        raise NotFound("patient")
    access_patient_by_id(user, patient.pk, audit=False)
    return model.objects.filter(patient=patient).select_related("encounter", "recorder")  # type: ignore[no-any-return]


def conditions_in_chart(user: Any, patient: Patient, *, code: str | None = None,
                        recorded_from: datetime | None = None, recorded_to: datetime | None = None
                        ) -> QuerySet[Condition]:
    """The conditions of a chart the caller has opened through patients.access (which audits it);
    permission and restriction are checked again, because a list of diagnoses is patient data."""
    conditions = _in_chart(user, Condition, patient)
    if code:
        conditions = conditions.filter(code=code)
    if recorded_from is not None:
        conditions = conditions.filter(recorded_at__gte=recorded_from)
    if recorded_to is not None:
        conditions = conditions.filter(recorded_at__lte=recorded_to)
    return conditions


def procedures_in_chart(user: Any, patient: Patient, *, code: str | None = None,
                        performed_from: datetime | None = None, performed_to: datetime | None = None
                        ) -> QuerySet[Procedure]:
    """The procedures of a chart, under the same rules as conditions_in_chart."""
    procedures = _in_chart(user, Procedure, patient)
    if code:
        procedures = procedures.filter(code=code)
    if performed_from is not None:
        procedures = procedures.filter(performed_start__gte=performed_from)
    if performed_to is not None:
        procedures = procedures.filter(performed_start__lte=performed_to)
    return procedures
