from django.db import migrations


def install(apps, schema_editor):
    from portal import append_only

    append_only.install(schema_editor.connection, ["licences_verification"])


def remove(apps, schema_editor):
    from portal import append_only

    append_only.remove(schema_editor.connection, ["licences_verification"])


class Migration(migrations.Migration):
    dependencies = [("licences", "0003_number_masked")]

    operations = [migrations.RunPython(install, remove)]
