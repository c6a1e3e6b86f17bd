
import django.db.models.deletion
from django.db import migrations, models
from django.utils import timezone


def fail_exports_left_waiting(apps, schema_editor):
    """Exports still waiting for the old polling loop would wait forever: nothing runs them now."""
    ExportJob = apps.get_model("interop", "ExportJob")
    ExportJob.objects.filter(status__in=["queued", "running"], job__isnull=True).update(
        status="failed", finished_at=timezone.now(),
        error="Requested before exports ran as background jobs; request the export again.")


class Migration(migrations.Migration):

    dependencies = [
        ('interop', '0006_hl7_outbound'),
        ('jobs', '0001_jobs'),
    ]

    operations = [
        migrations.AddField(
            model_name='exportjob',
            name='job',
            field=models.OneToOneField(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='jobs.job'),
        ),
        migrations.RunPython(fail_exports_left_waiting, migrations.RunPython.noop),
    ]
