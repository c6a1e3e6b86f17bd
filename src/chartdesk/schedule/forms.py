"""Desk forms of the front office; messages name the field."""

from __future__ import annotations

from django import forms

from chartdesk.schedule.day_sheet import FORMS
from chartdesk.schedule.models import Schedule, TimeOfDay, VisitType


class DayForm(forms.Form):
    day = forms.DateField(label="Day", required=False, widget=forms.DateInput(attrs={"type": "date"}))


class BookForm(forms.Form):
    mrn = forms.CharField(label="Patient MRN", max_length=20)
    visit_type = forms.ModelChoiceField(label="Visit type", queryset=VisitType.objects.filter(active=True))
    note = forms.CharField(label="Note for staff (never sent to the patient)", max_length=200, required=False)


class NextFreeForm(forms.Form):
    visit_type = forms.ModelChoiceField(label="Visit type", queryset=VisitType.objects.filter(active=True))
    schedule = forms.ModelChoiceField(label="Provider or resource", required=False, empty_label="Any",
                                      queryset=Schedule.objects.filter(active=True).select_related("clinic",
                                                                                                   "provider"))
    time_of_day = forms.ChoiceField(label="Time of day", choices=TimeOfDay.choices, initial=TimeOfDay.ANY)
    from_day = forms.DateField(label="From", required=False, widget=forms.DateInput(attrs={"type": "date"}))


class CheckInForm(forms.Form):
    demographics_confirmed = forms.BooleanField(label="Name, date of birth, address and phone confirmed",
                                                required=False)
    insurance_confirmed = forms.BooleanField(label="Insurance confirmed (or self-pay)", required=False)
    forms_signed = forms.MultipleChoiceField(label="Forms signed", choices=sorted(FORMS.items()), required=False,
                                             widget=forms.CheckboxSelectMultiple)
    copay = forms.DecimalField(label="Copay collected", max_digits=8, decimal_places=2, required=False,
                               min_value=0)


class RoomForm(forms.Form):
    room = forms.CharField(label="Room", max_length=40)


class ReasonForm(forms.Form):
    reason = forms.CharField(label="Reason", max_length=200)


class MoveForm(forms.Form):
    day = forms.DateField(label="New day", widget=forms.DateInput(attrs={"type": "date"}))
    start_time = forms.TimeField(label="New time", widget=forms.TimeInput(attrs={"type": "time"}))
    reason = forms.CharField(label="Reason for the move", max_length=200)
