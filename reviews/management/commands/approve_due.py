"""`python manage.py approve_due [--as-of ISO-DATETIME]`: the auto-approval pass, as the beat runs it."""

import json
from datetime import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from reviews.services import applications_approve_due


class Command(BaseCommand):
    help = "Approve every due, still-valid application now (the same code as the beat task)."

    def add_arguments(self, parser):
        parser.add_argument("--as-of", dest="as_of", help="judge due dates as of this moment (ISO 8601)")

    def handle(self, *args, as_of=None, **options):
        moment = None
        if as_of:
            try:
                moment = datetime.fromisoformat(as_of)
            except ValueError:
                raise CommandError(f"--as-of must be an ISO date-time, got {as_of!r}") from None
            if timezone.is_naive(moment):
                moment = timezone.make_aware(moment)
        self.stdout.write(json.dumps(applications_approve_due(as_of=moment)))
