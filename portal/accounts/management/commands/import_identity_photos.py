"""`python manage.py import_identity_photos PATH`: fill the identity register (the face step's reference).

PATH is a folder of `<ID number>.jpg` / `.png` files, or a CSV file with the columns `id_number`
and `photo` (an image path relative to the CSV). Each photo stands alone: a broken one is reported
with its reason and the others are imported. Reports show masked numbers only.
"""

import csv
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from portal.accounts.services import identity_photo_set
from portal.errors import DomainError
from portal.imports import image_file_read, report_write
from portal.masking import mask_id_number

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png"}


def _entries(path: Path) -> list[tuple[str, Path]]:
    if path.is_dir():
        return sorted((p.stem, p) for p in path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    try:
        rows = list(csv.DictReader(path.read_text(encoding="utf-8-sig").splitlines()))
    except (OSError, UnicodeDecodeError) as exc:
        raise CommandError(f"cannot read {path}: {exc}") from None
    if rows and not {"id_number", "photo"} <= set(rows[0]):
        raise CommandError("the CSV needs the columns id_number and photo")
    return [(row["id_number"].strip(), path.parent / row["photo"].strip()) for row in rows]


class Command(BaseCommand):
    help = "Import ID-card photos into the identity register from a folder or a CSV file."

    def add_arguments(self, parser):
        parser.add_argument("path")
        parser.add_argument("--json", action="store_true", dest="as_json", help="print the report as JSON")

    def handle(self, *args, path, as_json=False, **options):
        source = Path(path)
        if not source.exists():
            raise CommandError(f"{path} does not exist")
        root = (source if source.is_dir() else source.parent).resolve()
        report = {"created": 0, "updated": 0, "rejected": []}
        for id_number, photo in _entries(source):
            try:
                data = image_file_read(photo, root=root, what="photo")
                _record, created = identity_photo_set(actor="import_identity_photos", id_number=id_number, photo=data)
            except OSError as exc:
                report["rejected"].append({"id_number": mask_id_number(id_number), "reason": exc.strerror})
                continue
            except DomainError as exc:
                report["rejected"].append({"id_number": mask_id_number(id_number), "reason": str(exc.detail)})
                continue
            report["created" if created else "updated"] += 1
        report_write(self.stdout, report, as_json=as_json, where=lambda rejected: rejected["id_number"])
