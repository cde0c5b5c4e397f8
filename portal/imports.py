"""What the bulk-import commands share: reading an image a list names, and printing their report."""

import json
from pathlib import Path

from django.conf import settings

from portal.errors import DomainError


def image_file_read(path: Path, *, root: Path, what: str) -> bytes:
    """The bytes of an image named in an import: inside the import's folder, within the upload limit."""
    path = path.resolve()
    if not path.is_relative_to(root.resolve()):
        raise DomainError("invalid", f"the {what} path leaves the import folder")
    if path.stat().st_size > settings.UPLOAD_MAX_BYTES:
        raise DomainError("file_too_large", f"the {what} is larger than the upload limit")
    return path.read_bytes()


def report_write(stdout, report: dict, *, as_json: bool, where) -> None:
    """`{"created", "updated", "rejected": [...]}` as JSON, or as a summary line and a line per
    rejected entry (`where(entry)` says which)."""
    if as_json:
        stdout.write(json.dumps(report, ensure_ascii=False))
        return
    stdout.write(f"created {report['created']}, updated {report['updated']}, rejected {len(report['rejected'])}")
    for rejected in report["rejected"]:
        stdout.write(f"  {where(rejected)}: {rejected['reason']}")
