from django.db import migrations

from chartdesk.core.migration_ops import RefuseRowChanges

# Rows that record a fact once (what was disclosed, a packet sent, a link used, an invoice raised)
# refuse UPDATE as well as DELETE.
WRITTEN_ONCE = ("redaction", "releasepacket", "downloadlinkuse", "invoice", "disclosure", "amendmentnotification")
NEVER_DELETED = (
    "authorization",
    "releaserequest",
    "documentsensitivity",
    "downloadlink",
    "accountingsuspension",
    "accountingrequest",
    "amendmentrequest",
    "privacyrestriction",
)


class Migration(migrations.Migration):
    dependencies = [("disclosures", "0001_initial")]

    operations = [RefuseRowChanges(f"disclosures_{table}", refuse_update=True) for table in WRITTEN_ONCE] + [
        RefuseRowChanges(f"disclosures_{table}") for table in NEVER_DELETED
    ]
