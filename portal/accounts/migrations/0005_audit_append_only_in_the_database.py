from django.db import migrations


def install(apps, schema_editor):
    from portal import append_only

    append_only.install(schema_editor.connection, ["accounts_auditentry"])


def remove(apps, schema_editor):
    from portal import append_only

    append_only.remove(schema_editor.connection, ["accounts_auditentry"])


class Migration(migrations.Migration):
    dependencies = [("accounts", "0004_identity_register")]

    operations = [migrations.RunPython(install, remove)]
