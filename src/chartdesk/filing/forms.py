"""Forms of the paper-records desk; the actions check everything again and name the field."""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.utils import timezone

from chartdesk.charts.models import DocumentType
from chartdesk.filing.models import DestructionMethod, FileRoom, LocationKind, VisitKind
from chartdesk.filing.order import FilingSystem


class BarcodeForm(forms.Form):
    barcode = forms.CharField(label="Folder barcode", max_length=40,
                              help_text="Scan the folder's barcode; the scanner types it and presses Enter.",
                              widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "off"}))


class CheckOutForm(forms.Form):
    borrower = forms.CharField(label="Borrower (person)", max_length=120, required=False)
    department = forms.CharField(label="Department", max_length=120, required=False)
    purpose = forms.CharField(label="Purpose", max_length=200)
    due_on = forms.DateField(label="Due back on", widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["due_on"].initial = timezone.localdate() + timedelta(days=2)


class NoteForm(forms.Form):
    note = forms.CharField(label="Where it was looked for, whom you asked", max_length=300)


class NewVolumeForm(forms.Form):
    file_room = forms.ModelChoiceField(label="File room", queryset=FileRoom.objects.filter(active=True))


class PickListForm(forms.Form):
    day = forms.DateField(label="Visits on", widget=forms.DateInput(attrs={"type": "date"}))


class ExpectedVisitImportForm(forms.Form):
    file = forms.FileField(label="Expected visits (CSV: mrn,date,time,kind,clinic)")


class ExpectedVisitForm(forms.Form):
    expected_on = forms.DateField(label="Date", widget=forms.DateInput(attrs={"type": "date"}))
    kind = forms.ChoiceField(label="Kind", choices=VisitKind.choices)
    clinic = forms.CharField(label="Clinic", max_length=120, required=False)


class ScanUploadForm(forms.Form):
    upload = forms.FileField(label="Scanned batch (multi-page PDF or TIFF)")
    expected_pages = forms.IntegerField(label="Pages fed into the scanner", min_value=1, required=False,
                                        help_text="The scanned file must hold exactly this many pages.")
    note = forms.CharField(label="Note", max_length=200, required=False)


class SplitForm(forms.Form):
    starts = forms.CharField(label="First page of each document", max_length=2000,
                             help_text="Page numbers separated by commas, e.g. 1, 4, 9.")


class IndexForm(forms.Form):
    mrn = forms.CharField(label="Patient MRN", max_length=12)
    account_number = forms.CharField(label="Encounter account number", max_length=20, required=False)
    document_type = forms.ChoiceField(label="Document type", choices=DocumentType.choices,
                                      initial=DocumentType.SCANNED_PAPER)
    title = forms.CharField(label="Title", max_length=200)
    service_date = forms.DateField(label="Service date", widget=forms.DateInput(attrs={"type": "date"}))


class RejectForm(forms.Form):
    reason = forms.CharField(label="Reason for rejecting", max_length=300)


class RefileForm(forms.Form):
    reason = forms.CharField(label="Why it is misfiled", max_length=300)
    mrn = forms.CharField(label="Correct patient's MRN", max_length=12)
    account_number = forms.CharField(label="Correct encounter account number", max_length=20, required=False)


class HoldForm(forms.Form):
    matter = forms.CharField(label="Matter", max_length=200)
    reason = forms.CharField(label="Reason", max_length=300, required=False)
    mrns = forms.CharField(label="MRNs of the patients held", widget=forms.Textarea(attrs={"rows": 3}),
                           help_text="One a line.")


class DestructionForm(forms.Form):
    method = forms.ChoiceField(label="Method", choices=DestructionMethod.choices)
    witness = forms.CharField(label="Witness", max_length=120)
    note = forms.CharField(label="Note", max_length=300, required=False)


class FileRoomForm(forms.Form):
    facility = forms.CharField(label="Facility", max_length=120)
    name = forms.CharField(label="File room", max_length=120)
    filing_system = forms.ChoiceField(label="Filing system", choices=FilingSystem.choices)


class LocationForm(forms.Form):
    file_room = forms.ModelChoiceField(label="File room", queryset=FileRoom.objects.filter(active=True))
    kind = forms.ChoiceField(label="Kind", choices=LocationKind.choices)
    code = forms.CharField(label="Code (as on the shelf or box)", max_length=40)
    description = forms.CharField(label="Description", max_length=200, required=False)


class FindByMrnForm(forms.Form):
    mrn = forms.CharField(label="Patient MRN", max_length=12,
                          help_text="Opens the patient's paper volumes, where they are and who has them.")
