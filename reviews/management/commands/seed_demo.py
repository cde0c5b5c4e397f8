"""Idempotent demo data (api.md): the demo accounts and organisations, and licence records.

It lives in the top app because it seeds every app below it.
"""

import json
import os

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction

from licences.demo import seed_licences
from portal.accounts.demo import seed_accounts, seed_identity_register
from portal.accounts.validators import id_number_with_check_digit

DEFAULT_PASSWORD = "demo-pass-12123"
DEMO_REGISTRATION_ID = id_number_with_check_digit("11010519800808081")


class Command(BaseCommand):
    help = "Create (or refresh) the demo accounts, organisations and licence records. Safe to run again."

    def add_arguments(self, parser):
        parser.add_argument("--password", default=None, help="password for every demo account")
        parser.add_argument("--json", action="store_true", dest="as_json", help="print the log-ins as JSON")

    @transaction.atomic
    def handle(self, *args, password=None, as_json=False, **options):
        password = password or os.environ.get("DEMO_PASSWORD") or DEFAULT_PASSWORD
        accounts = seed_accounts(password=password)
        identity = seed_identity_register()
        licences = seed_licences()
        payload = json.dumps({"accounts": accounts}, ensure_ascii=False)
        # Read by `make run` to print the log-ins; development only.
        (settings.VAR_DIR / "demo-accounts.json").write_text(payload)
        if as_json:
            self.stdout.write(payload)
            return
        self.stdout.write(self.style.SUCCESS("Demo accounts (log in with the username, ID number or phone):"))
        for account in accounts:
            self.stdout.write(f"  {account['role']:<15} {account['username']:<12} {account['password']}")
        self.stdout.write(f"Licence records: {len(licences)} (the citizen's e-licence is issued)")
        self.stdout.write(
            f"Identity register: {len(identity)} photo(s). To register online with a face check, use ID number "
            f"{DEMO_REGISTRATION_ID} (王明) and the selfie portal/accounts/demo_photos/selfie.jpg"
        )
