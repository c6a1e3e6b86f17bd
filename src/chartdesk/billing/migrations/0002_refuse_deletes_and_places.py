from django.db import migrations

from chartdesk.core.migration_ops import RefuseRowChanges

# CMS place-of-service codes a physician practice bills most.
PLACES_OF_SERVICE = [
    ("02", "Telehealth provided other than in patient's home"),
    ("10", "Telehealth provided in patient's home"),
    ("11", "Office"),
    ("12", "Home"),
    ("19", "Off campus-outpatient hospital"),
    ("20", "Urgent care facility"),
    ("21", "Inpatient hospital"),
    ("22", "On campus-outpatient hospital"),
    ("23", "Emergency room - hospital"),
    ("24", "Ambulatory surgical center"),
    ("31", "Skilled nursing facility"),
    ("32", "Nursing facility"),
    ("49", "Independent clinic"),
    ("50", "Federally qualified health center"),
    ("81", "Independent laboratory"),
    ("99", "Other place of service"),
]


def add_places(apps, schema_editor):
    PlaceOfService = apps.get_model("billing", "PlaceOfService")
    for code, name in PLACES_OF_SERVICE:
        PlaceOfService.objects.update_or_create(code=code, defaults={"name": name})


class Migration(migrations.Migration):
    dependencies = [("billing", "0001_initial")]

    operations = [
        migrations.RunPython(add_places, migrations.RunPython.noop),
        *[
            RefuseRowChanges(table)
            for table in (
                "billing_encounterdiagnosis",
                "billing_charge",
                "billing_claim",
                "billing_claimline",
                "billing_x12batch",
                "billing_remittance",
                "billing_claimpayment",
                "billing_ledgerentry",
                "billing_statementbatch",
                "billing_statement",
            )
        ],
    ]
