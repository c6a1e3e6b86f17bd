from django.db import migrations

from chartdesk.core.migration_ops import RefuseRowChanges


class Migration(migrations.Migration):
    dependencies = [("patients", "0001_initial")]

    operations = [
        RefuseRowChanges(table)
        for table in (
            "patients_patient",
            "patients_patientname",
            "patients_patientaddress",
            "patients_patientphone",
            "patients_patientidentifier",
        )
    ]
