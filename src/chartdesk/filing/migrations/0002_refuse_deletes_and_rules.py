"""The trail of paper records is never deleted; and a default retention rule set to start from.

The defaults (10 years after the last encounter for adults; minors until 18 plus 3 years, whichever
is later) are a common pattern, not any one state's law: HIM sets its own jurisdiction's rules.
"""

from typing import Any

from django.db import migrations

from chartdesk.core.migration_ops import RefuseRowChanges

TABLES = (
    "filing_paperchart",
    "filing_chartmovement",
    "filing_scanbatch",
    "filing_scanneddocument",
    "filing_legalhold",
    "filing_legalholdpatient",
    "filing_destructioncertificate",
    "filing_destroyedrecord",
)


def seed(apps: Any, schema_editor: Any) -> None:
    RetentionRule = apps.get_model("filing", "RetentionRule")
    for record_type in ("outpatient", "emergency", "inpatient", "observation"):
        RetentionRule.objects.get_or_create(
            jurisdiction="default", record_type=record_type,
            defaults={"adult_years": 10, "age_of_majority": 18, "years_after_majority": 3},
        )


class Migration(migrations.Migration):
    dependencies = [("filing", "0001_initial")]

    operations = [
        migrations.RunPython(seed, migrations.RunPython.noop),
        *[RefuseRowChanges(table) for table in TABLES],
    ]
