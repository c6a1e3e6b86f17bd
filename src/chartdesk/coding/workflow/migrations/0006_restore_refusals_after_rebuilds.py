from django.db import migrations

from chartdesk.core.migration_ops import RestoreRefusalsAfterRebuild


class Migration(migrations.Migration):
    """SQLite rebuilt coding_workflow_codingcase for the columns 0003 and 0004 added, which dropped the
    trigger refusing its deletion (0002); tests/core/test_legal_rows_refuse_delete.py now checks every
    legal table after all migrations."""

    dependencies = [("coding_workflow", "0005_verbose_names")]

    operations = [RestoreRefusalsAfterRebuild("coding_workflow_codingcase")]
