from django.db import migrations

from chartdesk.core.migration_ops import RefuseRowChanges


class Migration(migrations.Migration):
    dependencies = [("charts", "0001_initial")]

    operations = [
        RefuseRowChanges(table)
        for table in (
            "charts_encounter",
            "charts_encounterprovider",
            "charts_document",
            "charts_documentversion",
            "charts_addendum",
        )
    ]
