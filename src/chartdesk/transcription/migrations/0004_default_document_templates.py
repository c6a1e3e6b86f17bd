"""The shipped document templates, one per dictated type (the site edits or retires them on the desk).
Headings follow the usual order of each document; ___ marks what the dictation fills in."""

from django.db import migrations

DEFAULTS = {
    ("34117-2", "History and physical"): (
        "HISTORY AND PHYSICAL\n\nCHIEF COMPLAINT: ___\n\nHISTORY OF PRESENT ILLNESS: ___\n\n"
        "PAST MEDICAL HISTORY: ___\n\nPAST SURGICAL HISTORY: ___\n\nMEDICATIONS: ___\n\nALLERGIES: ___\n\n"
        "SOCIAL HISTORY: ___\n\nFAMILY HISTORY: ___\n\nREVIEW OF SYSTEMS: ___\n\n"
        "PHYSICAL EXAMINATION:\nVITAL SIGNS: ___\nGENERAL: ___\nHEENT: ___\nNECK: ___\nLUNGS: ___\n"
        "HEART: ___\nABDOMEN: ___\nEXTREMITIES: ___\nNEUROLOGIC: ___\n\nLABORATORY DATA: ___\n\n"
        "ASSESSMENT: ___\n\nPLAN: ___"
    ),
    ("11488-4", "Consultation"): (
        "CONSULTATION\n\nREQUESTING PHYSICIAN: ___\n\nREASON FOR CONSULTATION: ___\n\n"
        "HISTORY OF PRESENT ILLNESS: ___\n\nPAST MEDICAL HISTORY: ___\n\nMEDICATIONS: ___\n\nALLERGIES: ___\n\n"
        "REVIEW OF SYSTEMS: ___\n\nPHYSICAL EXAMINATION: ___\n\nDIAGNOSTIC DATA: ___\n\n"
        "IMPRESSION: ___\n\nRECOMMENDATIONS: ___\n\nThank you for this consultation."
    ),
    ("11504-8", "Operative report"): (
        "OPERATIVE REPORT\n\nDATE OF OPERATION: ___\n\nPREOPERATIVE DIAGNOSIS: ___\n\n"
        "POSTOPERATIVE DIAGNOSIS: ___\n\nPROCEDURE PERFORMED: ___\n\nSURGEON: ___\n\nASSISTANT: ___\n\n"
        "ANESTHESIA: ___\n\nINDICATIONS: ___\n\nFINDINGS: ___\n\nDESCRIPTION OF PROCEDURE: ___\n\n"
        "ESTIMATED BLOOD LOSS: ___\n\nSPECIMENS: ___\n\nDRAINS: ___\n\nCOMPLICATIONS: ___\n\n"
        "CONDITION: ___"
    ),
    ("18842-5", "Discharge summary"): (
        "DISCHARGE SUMMARY\n\nDATE OF ADMISSION: ___\n\nDATE OF DISCHARGE: ___\n\nADMITTING DIAGNOSIS: ___\n\n"
        "DISCHARGE DIAGNOSES: ___\n\nPROCEDURES: ___\n\nCONSULTATIONS: ___\n\nHOSPITAL COURSE: ___\n\n"
        "CONDITION AT DISCHARGE: ___\n\nDISCHARGE MEDICATIONS: ___\n\nDISPOSITION: ___\n\n"
        "FOLLOW-UP: ___\n\nINSTRUCTIONS: ___"
    ),
    ("11506-3", "Progress note (SOAP)"): (
        "PROGRESS NOTE\n\nSUBJECTIVE: ___\n\nOBJECTIVE:\nVITAL SIGNS: ___\nEXAMINATION: ___\n\n"
        "ASSESSMENT: ___\n\nPLAN: ___"
    ),
    ("51852-2", "Letter to referring physician"): (
        "Dear Dr. ___:\n\nThank you for referring ___, whom I saw on ___ for ___.\n\n"
        "HISTORY: ___\n\nEXAMINATION: ___\n\nIMPRESSION: ___\n\nRECOMMENDATIONS: ___\n\n"
        "Thank you for allowing me to participate in the care of this patient.\n\nSincerely,\n\n___"
    ),
}


def ship(apps, schema_editor):
    template_model = apps.get_model("transcription", "DocumentTemplate")
    for (document_type, name), text in DEFAULTS.items():
        template_model.objects.get_or_create(document_type=document_type, name=name, defaults={"text": text})


class Migration(migrations.Migration):
    dependencies = [("transcription", "0003_qa_templates_dictionary")]

    operations = [migrations.RunPython(ship, migrations.RunPython.noop)]
