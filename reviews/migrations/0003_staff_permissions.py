"""Staff roles see the register, applications and photos; supervisors edit the working-day calendar."""

from django.db import migrations

GRANTS = {
    "counter_clerk": [("licences", "view_licence")],
    "reviewer": [("licences", "view_licence"), ("reviews", "view_application"), ("reviews", "view_photo")],
    "supervisor": [
        ("licences", "view_licence"),
        ("licences", "change_licence"),
        ("licences", "view_elicence"),
        ("licences", "view_verification"),
        ("licences", "view_share"),
        ("reviews", "view_application"),
        ("reviews", "view_photo"),
        ("reviews", "view_workingdayoverride"),
        ("reviews", "add_workingdayoverride"),
        ("reviews", "change_workingdayoverride"),
        ("reviews", "delete_workingdayoverride"),
    ],
}


def grant(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, perms in GRANTS.items():
        group = Group.objects.get(name=role)
        for app_label, codename in perms:
            group.permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))


class Migration(migrations.Migration):
    dependencies = [
        ("reviews", "0002_approve_due_task"),
        ("licences", "0003_number_masked"),
        ("accounts", "0002_staff_roles_and_housekeeping"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
