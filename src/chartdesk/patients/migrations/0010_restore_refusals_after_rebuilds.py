from django.db import migrations

from chartdesk.core.migration_ops import RestoreRefusalsAfterRebuild


class Migration(migrations.Migration):
    """SQLite rebuilt patients_patient and patients_patientname for the columns 0006 and 0007 added,
    which dropped the triggers refusing their deletion (0002); tests/core/test_legal_rows_refuse_delete.py
    now checks every legal table after all migrations."""

    dependencies = [("patients", "0009_primary_care_provider")]

    operations = [
        RestoreRefusalsAfterRebuild("patients_patient"),
        RestoreRefusalsAfterRebuild("patients_patientname"),
    ]
