from django.db import migrations

from chartdesk.audit.partitions import PartitionAuditTrail


class Migration(migrations.Migration):
    # The rebuild copies every event: on a long trail it runs as long as that copy (docs/audit.md).
    dependencies = [("audit", "0003_object_index")]

    operations = [PartitionAuditTrail()]
