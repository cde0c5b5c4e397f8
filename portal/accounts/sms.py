"""Pluggable SMS backends, chosen by SMS_BACKEND: `console`, `file`, `locmem` or a dotted path."""

import json
import sys
import threading

from django.conf import settings
from django.utils.module_loading import import_string

from portal.masking import mask_phone


class ConsoleBackend:
    def send(self, *, to: str, text: str) -> None:
        sys.stdout.write(f"[SMS to {mask_phone(to)}] {text}\n")
        sys.stdout.flush()


class FileBackend:
    """Appends one JSON object per line `{"to", "text"}` to SMS_FILE_PATH (api.md)."""

    _lock = threading.Lock()

    def send(self, *, to: str, text: str) -> None:
        line = json.dumps({"to": to, "text": text}, ensure_ascii=False)
        with self._lock, open(settings.SMS_FILE_PATH, "a", encoding="utf-8") as fh:
            fh.write(line + "\n")


outbox: list[dict] = []


class LocmemBackend:
    """Keeps messages in `portal.accounts.sms.outbox` (tests)."""

    def send(self, *, to: str, text: str) -> None:
        outbox.append({"to": to, "text": text})


BACKENDS = {"console": ConsoleBackend, "file": FileBackend, "locmem": LocmemBackend}


def get_backend():
    name = settings.SMS_BACKEND
    cls = BACKENDS.get(name) or import_string(name)
    return cls()
