"""The desk's answer to the access functions' refusals, for the views of every app that opens
patient records: the break-the-glass offer for a restricted chart the user may open that way, 404
for everything else missing or forbidden. Views import these from here, never from another app's
views module.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from chartdesk.core.errors import NotFound
from chartdesk.core.views import not_found
from chartdesk.patients.access import RestrictedChart, access_patient_by_id
from chartdesk.patients.models import Patient

PatientView = Callable[..., HttpResponse]


def chart_url(patient: Patient) -> str:
    return reverse("charts-chart", kwargs={"patient_id": patient.pk})


def break_the_glass_url(patient: Patient, next_url: str) -> str:
    from urllib.parse import urlencode

    return reverse("patients-break-glass", kwargs={"patient_id": patient.pk}) + "?" + urlencode({"next": next_url})


def opens_records(view: PatientView) -> PatientView:
    """Turn the access functions' refusals into the desk's answers, the same in every app: the
    break-the-glass offer for a restricted chart the user may open that way, 404 otherwise."""

    @wraps(view)
    def answered(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except RestrictedChart as restricted:
            # After breaking the glass the user comes back to the page; a refused POST comes back to
            # the chart, since its form would have to be filled in again anyway.
            next_path = request.get_full_path() if request.method == "GET" else chart_url(restricted.patient)
            return redirect(break_the_glass_url(restricted.patient, next_path))
        except NotFound:
            return not_found(request)

    return answered


def opens_patient(permission: str, *, audit: bool = True) -> Callable[[PatientView], PatientView]:
    """Give the view the patient through access_patient_by_id: 404 for missing or forbidden, and
    the break-the-glass page for a restricted chart the user may open that way."""

    def decorate(view: PatientView) -> PatientView:
        @wraps(view)
        def opened(request: HttpRequest, patient_id: int, *args: Any, **kwargs: Any) -> HttpResponse:
            try:
                patient = access_patient_by_id(request.user, patient_id, permission=permission, audit=audit)
            except RestrictedChart as restricted:
                next_url = request.get_full_path() if request.method == "GET" else chart_url(restricted.patient)
                return redirect(break_the_glass_url(restricted.patient, next_url))
            except NotFound:
                return not_found(request)
            return view(request, patient, *args, **kwargs)

        return opened

    return decorate


def refuse_retired_chart(request: HttpRequest, patient: Patient, message: str) -> HttpResponse | None:
    """A merged chart takes no new records: say so before a form is filled, not after. `message` is the
    app's refusal (its PATIENT_MERGED, formatted with the survivor's `mrn`); back to the chart with it."""
    if not patient.is_retired:
        return None
    survivor = patient.merged_into
    messages.error(request, message.format(mrn=survivor.mrn if survivor else "unknown"))
    return redirect(chart_url(patient))
