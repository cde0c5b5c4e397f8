"""`python manage.py check_photo FILE...`: one JSON object per line (api.md)."""

import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from reviews.photo_checks import check_photo


class Command(BaseCommand):
    help = "Run the photo checks of photo-rules.md on files; print one JSON line per file."

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+")
        parser.add_argument("--language", default=None, help="messages in zh-hans or en (default: both)")

    def handle(self, *args, files, language=None, **options):
        for name in files:
            path = Path(name)
            try:
                size = path.stat().st_size
                # Never read more than one byte past the limit: the size alone decides file_too_large.
                with path.open("rb") as fh:
                    data = fh.read(settings.UPLOAD_MAX_BYTES + 1)
            except OSError as exc:
                self.stdout.write(json.dumps({"file": name, "error": exc.strerror}, ensure_ascii=False))
                continue
            result = check_photo(data, max_bytes=settings.UPLOAD_MAX_BYTES, max_pixels=settings.IMAGE_MAX_PIXELS)
            if size > len(data):
                result.metrics["file_bytes"] = size
            payload = result.as_dict(language)
            line = {
                "file": name,
                "problems": result.codes,
                "details": payload["problems"],
                "metrics": payload["metrics"],
            }
            self.stdout.write(json.dumps(line, ensure_ascii=False))
