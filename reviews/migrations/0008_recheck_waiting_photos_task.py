from django.db import migrations


def install(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    every_15_minutes, _created = IntervalSchedule.objects.get_or_create(every=15, period="minutes")
    PeriodicTask.objects.update_or_create(
        name="reviews: check again photos whose check task was lost",
        defaults={"task": "reviews.tasks.recheck_waiting_photos", "interval": every_15_minutes, "enabled": True},
    )


class Migration(migrations.Migration):
    dependencies = [("reviews", "0007_due_index"), ("django_celery_beat", "0019_alter_periodictasks_options")]

    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
