"""Every token of the licences app: QR tokens, short codes, share codes, receipt signatures.

QR token: `base64url(nonce ‖ AES-256-GCM(payload))` where payload = e-licence id (16 bytes) ‖
licence version (4) ‖ expiry, seconds since the epoch (4), and the key is derived from SECRET_KEY
(SECRET_KEY_FALLBACKS still read during a key rotation). Opaque (no internal identifier is
visible in it), unguessable and unique (a random 96-bit nonce), tamper-evident (GCM's tag: any
changed bit fails), bound to one e-licence and one licence version, and short-lived:
QR_TOKEN_TTL = 60 s. The clock-skew window is CLOCK_SKEW = 5 s: a token is accepted until
expiry + 5 s, for web processes whose clocks differ slightly; after that it is `expired`, and
replaying it never works again.

Receipts are signed with Ed25519 (RECEIPT_SIGNING_KEY), so anyone holding the public key
(`GET /api/v1/receipts/public-key`) can check a receipt offline.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import struct
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings

QR_TOKEN_TTL = 60
CLOCK_SKEW = 5
SHORT_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: typed from a phone screen
SHORT_CODE_LENGTH = 8  # 31^8 ≈ 8.5e11 codes, live for a minute, behind a per-IP rate limit
SHARE_CODE_LENGTH = 12
_PAYLOAD = struct.Struct(">16sII")
_NONCE_BYTES = 12
_TAG_BYTES = 16
_AAD = b"elicence-qr-token-v2"


class TokenError(Exception):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason  # "bad_token" or "expired"


@dataclass(frozen=True)
class QRToken:
    elicence_id: uuid.UUID
    licence_version: int
    expires_at: datetime


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@cache
def _cipher(secret: str) -> AESGCM:
    return AESGCM(hashlib.sha256(f"elicence-qr-token:{secret}".encode()).digest())


def qr_token_issue(*, elicence_id: uuid.UUID, licence_version: int, now: float | None = None) -> tuple[str, datetime]:
    expires = int(now if now is not None else time.time()) + QR_TOKEN_TTL
    nonce = secrets.token_bytes(_NONCE_BYTES)
    sealed = _cipher(settings.SECRET_KEY).encrypt(
        nonce, _PAYLOAD.pack(elicence_id.bytes, licence_version, expires), _AAD
    )
    return _b64(nonce + sealed), datetime.fromtimestamp(expires, UTC)


def qr_token_read(token: str, *, now: float | None = None) -> QRToken:
    """The token's claims, or TokenError("bad_token" | "expired")."""
    try:
        raw = _unb64(token.strip())
    except (ValueError, TypeError):
        raise TokenError("bad_token") from None
    if len(raw) != _NONCE_BYTES + _PAYLOAD.size + _TAG_BYTES:
        raise TokenError("bad_token")
    nonce, sealed = raw[:_NONCE_BYTES], raw[_NONCE_BYTES:]
    payload = None
    for secret in [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]:
        try:
            payload = _cipher(secret).decrypt(nonce, sealed, _AAD)
            break
        except InvalidTag:
            continue
    if payload is None:
        raise TokenError("bad_token")
    elicence_bytes, version, expires = _PAYLOAD.unpack(payload)
    if (now if now is not None else time.time()) > expires + CLOCK_SKEW:
        raise TokenError("expired")
    return QRToken(uuid.UUID(bytes=elicence_bytes), version, datetime.fromtimestamp(expires, UTC))


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


def public_key() -> Ed25519PublicKey:
    return _signing_key().public_key()


def public_key_b64() -> str:
    return _b64(public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw))


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
