"""The rules every facility starts with (Conditions of Participation), and the never-deleted tables.

HIM edits or deactivates rules afterwards; they are data, not code.
"""

from typing import Any

from django.db import migrations

from chartdesk.core.migration_ops import RefuseRowChanges

HOURS_30_DAYS = 30 * 24
DEFAULT_RULES = (
    # H&P no more than 30 days before or 24 hours after admission.
    {"code": "inpatient-hp", "name": "H&P within 30 days before or 24 hours after admission",
     "kind": "required_document", "encounter_class": "inpatient", "document_type": "34117-2",
     "anchor": "admission", "hours_before": HOURS_30_DAYS, "hours_after": 24},
    {"code": "inpatient-discharge-summary", "name": "Discharge summary within 30 days of discharge",
     "kind": "required_document", "encounter_class": "inpatient", "document_type": "18842-5",
     "anchor": "discharge", "hours_before": 0, "hours_after": HOURS_30_DAYS},
    {"code": "signature", "name": "Every document of the encounter signed",
     "kind": "signature", "encounter_class": "", "document_type": "", "anchor": "discharge",
     "hours_before": 0, "hours_after": 24 * 14},
    {"code": "operative-report", "name": "Operative report when surgery is recorded",
     "kind": "operative_report", "encounter_class": "", "document_type": "11504-8", "anchor": "discharge",
     "hours_before": 0, "hours_after": 24},
    {"code": "cosignature-np-pa", "name": "Attending co-signs documents signed by an NP or PA",
     "kind": "cosignature", "encounter_class": "inpatient", "document_type": "", "anchor": "discharge",
     "hours_before": 0, "hours_after": 24 * 14, "cosign_credentials": "NP,PA"},
)


def seed(apps: Any, schema_editor: Any) -> None:
    DeficiencyRule = apps.get_model("completion", "DeficiencyRule")
    for rule in DEFAULT_RULES:
        DeficiencyRule.objects.get_or_create(code=rule["code"], defaults=rule)


class Migration(migrations.Migration):
    dependencies = [("completion", "0001_initial")]

    operations = [
        migrations.RunPython(seed, migrations.RunPython.noop),
        *[
            RefuseRowChanges(table)
            for table in (
                "completion_chartcompletion",
                "completion_deficiency",
                "completion_cosignature",
                "completion_deficiencyreminder",
            )
        ],
    ]
