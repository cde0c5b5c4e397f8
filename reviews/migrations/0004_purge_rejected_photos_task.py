from django.db import migrations


def install(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    nightly, _created = CrontabSchedule.objects.get_or_create(
        minute="30", hour="3", day_of_week="*", day_of_month="*", month_of_year="*", timezone="Asia/Shanghai"
    )
    PeriodicTask.objects.update_or_create(
        name="reviews: delete rejected photos after the retention period",
        defaults={"task": "reviews.tasks.purge_rejected_photos", "crontab": nightly, "enabled": True},
    )


class Migration(migrations.Migration):
    dependencies = [("reviews", "0003_staff_permissions"), ("django_celery_beat", "0019_alter_periodictasks_options")]

    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
