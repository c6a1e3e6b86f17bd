from django.db import migrations

from chartdesk.core.migration_ops import LetPatientLinkMove


class Migration(migrations.Migration):
    """A merge moves every disclosure of the retired chart onto the survivor (and an unmerge back);
    everything else about a recorded disclosure stays frozen."""

    dependencies = [("disclosures", "0002_refuse_deletes")]

    operations = [LetPatientLinkMove("disclosures_disclosure")]
