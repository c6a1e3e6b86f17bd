from django.db import migrations

from chartdesk.core.migration_ops import RefuseRowChanges


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [RefuseRowChanges("audit_auditevent", refuse_update=True)]
