"""Re-encrypt every encrypted column with the newest FIELD_ENCRYPTION_KEY (security.md, key rotation).

Put the new key first in FIELD_ENCRYPTION_KEY (comma-separated), keep the old ones after it, run
this command, then drop the old keys. Reading decrypts with any configured key; writing encrypts
with the first one.
"""

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction

from portal.crypto import EncryptedTextField


class Command(BaseCommand):
    help = "Re-encrypt all encrypted fields with the newest key."

    def handle(self, *args, **options):
        for model in apps.get_models():
            fields = [f.name for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)]
            if not fields:
                continue
            rotated = 0
            with transaction.atomic():
                for row in model.objects.values("pk", *fields).iterator(chunk_size=500):
                    pk = row.pop("pk")
                    # update() skips save() hooks: the look-up hashes are unchanged by design.
                    model.objects.filter(pk=pk).update(**row)
                    rotated += 1
            self.stdout.write(f"{model._meta.label}: {rotated} rows re-encrypted")
