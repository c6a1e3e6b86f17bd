from django.db import migrations

from chartdesk.core.migration_ops import RefuseRowChanges


class Migration(migrations.Migration):
    dependencies = [("clinical", "0001_initial")]

    operations = [RefuseRowChanges(table) for table in ("clinical_condition", "clinical_procedure")]
