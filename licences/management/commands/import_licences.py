"""`python manage.py import_licences FILE.csv`: upsert licence records (api.md).

Columns as the fields of `GET licence`, with full numbers: number, name, sex, birth_date,
nationality, address, first_issued_on, classes (space- or comma-separated), valid_from,
valid_until (empty: long-term), issuing_authority, file_number, status, points; optional
`portrait` = an image path relative to the CSV. Each row stands alone: a broken row is reported
with its reason and the others are imported.
"""

import csv
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from licences.services import licence_upsert
from portal.errors import DomainError
from portal.imports import image_file_read, report_write


class Command(BaseCommand):
    help = "Upsert licence records from a CSV file; report rows created, updated and rejected."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--json", action="store_true", dest="as_json", help="print the report as JSON")

    def handle(self, *args, file, as_json=False, **options):
        path = Path(file)
        try:
            text = path.read_bytes().decode("utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"cannot read {file}: {exc}") from None
        reader = csv.DictReader(text.splitlines())
        if not reader.fieldnames or "number" not in reader.fieldnames:
            raise CommandError("the CSV needs a header row with at least the column `number`")
        report = {"created": 0, "updated": 0, "rejected": []}
        for line, row in enumerate(reader, start=2):
            row = {k.strip(): (v or "").strip() for k, v in row.items() if k}
            portrait = None
            try:
                if row.get("portrait"):
                    portrait = image_file_read(path.parent / row["portrait"], root=path.parent, what="portrait")
                _licence, created = licence_upsert(
                    actor="import_licences", number=row.get("number", ""), data=row, portrait=portrait
                )
            except OSError as exc:
                report["rejected"].append({"line": line, "reason": f"portrait: {exc.strerror}"})
                continue
            except DomainError as exc:
                fields = "; ".join(f"{k}: {' '.join(map(str, v))}" for k, v in exc.fields.items())
                report["rejected"].append({"line": line, "reason": fields or str(exc.detail)})
                continue
            report["created" if created else "updated"] += 1
        report_write(self.stdout, report, as_json=as_json, where=lambda rejected: f"line {rejected['line']}")
