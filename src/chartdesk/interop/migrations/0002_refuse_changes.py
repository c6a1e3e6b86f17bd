from django.db import migrations

from chartdesk.core.migration_ops import RefuseRowChanges


class Migration(migrations.Migration):
    dependencies = [("interop", "0001_initial")]

    # Messages as received are evidence of what the feed said: never changed, never deleted.
    operations = [RefuseRowChanges("interop_hl7message", refuse_update=True)]
