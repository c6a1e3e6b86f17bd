from django.db import migrations

from chartdesk.core.migration_ops import RefuseRowChanges


class Migration(migrations.Migration):
    dependencies = [("coding_workflow", "0001_initial")]

    operations = [
        RefuseRowChanges("coding_workflow_codingcase"),
        RefuseRowChanges("coding_workflow_physicianquery"),
        # What a reviewer changed and what a coder decided are evidence: never rewritten.
        RefuseRowChanges("coding_workflow_reviewchange", refuse_update=True),
        RefuseRowChanges("coding_workflow_suggestiondecision", refuse_update=True),
    ]
