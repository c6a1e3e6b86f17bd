from django.db import migrations, models


def fill_letters_keys(apps, schema_editor):
    # Names registered before this key existed get it now, computed the way registration does.
    from chartdesk.patients.names import letters_key

    PatientName = apps.get_model("patients", "PatientName")
    for name in PatientName.objects.filter(family_letters="").only("pk", "family_name").iterator():
        PatientName.objects.filter(pk=name.pk).update(family_letters=letters_key(name.family_name)[:80])


class Migration(migrations.Migration):

    dependencies = [
        ('patients', '0002_refuse_deletes'),
    ]

    operations = [
        migrations.AddField(
            model_name='patientname',
            name='family_letters',
            field=models.CharField(db_index=True, default='', max_length=80),
        ),
        migrations.RunPython(fill_letters_keys, migrations.RunPython.noop),
    ]
