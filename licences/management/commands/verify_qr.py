"""Check signed QR tokens (`EL1:…`) with the public key set alone: no database, no signing key, no
network once the key set is on disk. For police terminals and scripts.

    python manage.py verify_qr --keys jwks.json "EL1:…" ["EL1:…" …]
    python manage.py verify_qr --keys https://portal.example/.well-known/jwks.json -   # tokens on stdin

One JSON line per token: {"valid", "reason", "expires_at", "holder": {masked fields}}; exit status 0
when every token is valid, 1 otherwise.
"""

import json
import sys
import time
import urllib.request

from django.core.management.base import BaseCommand, CommandError

from licences import signed_qr, tokens

HOLDER_FIELDS = ("name", "number", "classes", "valid_from", "valid_until", "status", "points", "paper_required")


def load_keys(source: str) -> list[signed_qr.VerifyKey]:
    try:
        if source.startswith(("https://", "http://")):
            with urllib.request.urlopen(source, timeout=10) as answer:  # noqa: S310 — an http(s) URL, checked above
                document = json.load(answer)
        else:
            with open(source, encoding="utf-8") as handle:
                document = json.load(handle)
        keys = signed_qr.keys_from_jwks(document)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise CommandError(f"cannot read the key set from {source}: {exc}") from exc
    if not keys:
        raise CommandError(f"no ES256 P-256 key in the key set from {source}")
    return keys


def check(token: str, keys: list[signed_qr.VerifyKey], now: float) -> dict:
    try:
        claims = signed_qr.read(token, keys=keys, now=now, skew=tokens.CLOCK_SKEW)
    except signed_qr.SignedQRError as exc:
        return {"valid": False, "reason": exc.reason}
    valid = claims.get("state") == "valid"
    return {
        "valid": valid,
        "reason": None if valid else "licence_changed",
        "expires_at": claims.get("expires_at"),
        "holder": {field: claims.get(field) for field in HOLDER_FIELDS},
    }


class Command(BaseCommand):
    help = "Check signed e-licence QR tokens offline, with the public key set (JWKS) only."

    def add_arguments(self, parser):
        parser.add_argument("--keys", required=True, help="the JWK Set: a file, or the portal's /.well-known/jwks.json")
        parser.add_argument("tokens", nargs="+", help="EL1:… tokens, or - to read one per line from stdin")

    def handle(self, *args, keys, tokens, **options):
        key_set = load_keys(keys)
        texts = [line.strip() for line in sys.stdin if line.strip()] if tokens == ["-"] else tokens
        now = time.time()
        all_valid = True
        for text in texts:
            result = check(text, key_set, now)
            all_valid &= result["valid"]
            self.stdout.write(json.dumps(result, ensure_ascii=False))
        if not all_valid:
            sys.exit(1)
