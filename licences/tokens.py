"""Every token of the licences app but the signed QR itself: short codes, share codes, receipt signatures.

The QR token is signed for offline verification (licences/signed_qr.py: COSE_Sign1, ES256, base45,
prefix `EL1:`); it names the e-licence by the display's short code, so it shows no identifier of
ours. Both live QR_TOKEN_TTL = 60 s. The clock-skew window is CLOCK_SKEW = 5 s: a token or code is
accepted until expiry + 5 s, for web processes whose clocks differ slightly; after that it is
`expired`, and replaying it never works again.

Receipts are signed with Ed25519 (RECEIPT_SIGNING_KEY), so anyone holding the public key
(`GET /api/v1/receipts/public-key`) can check a receipt offline.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from functools import cache

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings

QR_TOKEN_TTL = 60
CLOCK_SKEW = 5
SHORT_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: typed from a phone screen
SHORT_CODE_LENGTH = 8  # 31^8 ≈ 8.5e11 codes, live for a minute, behind a per-IP rate limit
SHARE_CODE_LENGTH = 12


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def looks_like_short_code(value: str) -> bool:
    value = value.strip().upper().replace("-", "").replace(" ", "")
    return len(value) == SHORT_CODE_LENGTH and all(c in SHORT_CODE_ALPHABET for c in value)


def normalise_code(value: str) -> str:
    return value.strip().upper().replace("-", "").replace(" ", "")


def random_code(length: int) -> str:
    return "".join(secrets.choice(SHORT_CODE_ALPHABET) for _ in range(length))


# --- receipts -----------------------------------------------------------------------------------
@cache
def _signing_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(_unb64(settings.RECEIPT_SIGNING_KEY))


@cache  # derived from the private key (cached above), as are the two below: no scalar product per receipt
def public_key() -> Ed25519PublicKey:
    return _signing_key().public_key()


@cache
def public_key_b64() -> str:
    return _b64(public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw))


@cache
def key_id() -> str:
    return hashlib.sha256(public_key_b64().encode()).hexdigest()[:16]


def canonical(document: dict) -> bytes:
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def receipt_sign(document: dict) -> dict:
    return {"receipt": document, "signature": _b64(_signing_key().sign(canonical(document))), "key_id": key_id()}


def receipt_check(signed: dict) -> bool:
    try:
        signature = _unb64(str(signed["signature"]))
        public_key().verify(signature, canonical(signed["receipt"]))
    except (InvalidSignature, KeyError, TypeError, ValueError):
        return False
    return True
