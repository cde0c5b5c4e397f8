"""Staff roles as groups (counter clerk, reviewer, supervisor) and the hourly housekeeping task."""

from django.db import migrations

ROLE_PERMISSIONS = {
    "counter_clerk": [
        ("accounts", "view_user"),
        ("accounts", "view_organisation"),
        ("accounts", "change_organisation"),
    ],
    "reviewer": [
        ("accounts", "view_user"),
    ],
    "supervisor": [
        ("accounts", "view_user"),
        ("accounts", "view_organisation"),
        ("accounts", "change_organisation"),
        ("accounts", "view_auditentry"),
        ("accounts", "view_outboundmessage"),
        ("django_celery_beat", "view_periodictask"),
        ("django_celery_beat", "change_periodictask"),
    ],
}


def create_roles(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    # Permissions are normally created after all migrations; roles need them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, perms in ROLE_PERMISSIONS.items():
        group, _created = Group.objects.get_or_create(name=role)
        for app_label, codename in perms:
            group.permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))


def install_periodic_tasks(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    hourly, _created = IntervalSchedule.objects.get_or_create(every=1, period="hours")
    PeriodicTask.objects.update_or_create(
        name="accounts: purge expired codes and rate-limit windows",
        defaults={"task": "portal.accounts.tasks.purge_expired", "interval": hourly, "enabled": True},
    )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.RunPython(create_roles, migrations.RunPython.noop),
        migrations.RunPython(install_periodic_tasks, migrations.RunPython.noop),
    ]
