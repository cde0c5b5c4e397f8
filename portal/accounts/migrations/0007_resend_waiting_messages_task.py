from django.db import migrations


def install(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    every_minute, _created = IntervalSchedule.objects.get_or_create(every=1, period="minutes")
    PeriodicTask.objects.update_or_create(
        name="accounts: queue again messages whose delivery task was lost",
        defaults={"task": "portal.accounts.tasks.resend_waiting_messages", "interval": every_minute, "enabled": True},
    )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0006_readable_field_names"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
