"""Signed QR tokens that a verifier can check without a network, in the format of the EU Digital
COVID Certificate (HCERT): CBOR Web Token claims in a COSE_Sign1 signed with ES256 (ECDSA P-256,
SHA-256), zlib-compressed, base45-encoded (the QR alphanumeric alphabet), behind the prefix `EL1:`.

    EL1:<base45( zlib( COSE_Sign1[ protected {alg: ES256, kid}, {}, CWT claims, signature ] ) )>

CWT claims: 1 (iss) the issuer, 4 (exp), 6 (iat), and the e-licence under CLAIM_ELICENCE: its
reference (the e-licence id, 16 bytes), licence version, masked name and number, vehicle classes,
validity, state and points band. Nothing unmasked: whoever scans it reads only what the live display
shows anyway.

Keys: QR_SIGNING_KEY is the issuer's P-256 private key (the 32-byte scalar, base64url); the key id is
the first 8 bytes of the SHA-256 of the public key's SubjectPublicKeyInfo (as HCERT's kid). Rotation
with overlap: the new key signs, the old public key stays in QR_VERIFY_KEYS (base64url of the
uncompressed point, comma-separated) until every token it signed has expired. The public key set is
served as a JWK Set at /.well-known/jwks.json; a verifier needs nothing else.
"""

from __future__ import annotations

import base64
import hashlib
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, lru_cache

import base45
import cbor2
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature
from django.conf import settings

PREFIX = "EL1:"
COSE_SIGN1_TAG = 18
HEADER_ALG, HEADER_KID = 1, 4
ES256 = -7  # COSE algorithm: ECDSA with SHA-256 on P-256
CLAIM_ISS, CLAIM_EXP, CLAIM_IAT = 1, 4, 6
CLAIM_ELICENCE = -70001  # a private-use CWT claim (negative), as HCERT's -260
MAX_COSE_BYTES = 4096  # a QR cannot hold more; a larger inflation is refused before it is parsed
MAX_TEXT = 6000


# base45 (RFC 9285) decoded with a few operations on the whole text instead of a Python loop over
# its characters (the `base45` package's way; encoding, once per QR shown, stays with the package).
# Each group of three characters c, d, e is the 16-bit number c + 45·d + 2025·e: put every c, d and e
# in its own 32-bit slot of three big integers, add them as numbers (no slot can carry into the next,
# 91,124 at most), and read the slots back; a slot above 0xFFFF is not base45.
_B45_VALUES = bytearray([255]) * 256
for _value, _char in enumerate(b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"):
    _B45_VALUES[_char] = _value
_B45_VALUES = bytes(_B45_VALUES)


def _slots(values: bytes, count: int) -> int:
    """`values` as one integer, each in the low byte of its own 4-byte big-endian slot."""
    spread = bytearray(4 * count)
    spread[3::4] = values
    return int.from_bytes(spread, "big")


def b45decode(text: str) -> bytes:
    """The bytes of base45 `text`; ValueError (UnicodeEncodeError for non-ASCII) if it is not base45."""
    values = text.encode("ascii").translate(_B45_VALUES)
    size = len(values)
    if size % 3 == 1 or 255 in values:
        raise ValueError("not base45")
    whole = size - size % 3
    count = whole // 3
    total = _slots(values[0:whole:3], count) + 45 * _slots(values[1:whole:3], count)
    packed = (total + 2025 * _slots(values[2:whole:3], count)).to_bytes(4 * count, "big")
    if packed[0::4].count(0) != count or packed[1::4].count(0) != count:
        raise ValueError("not base45")
    data = bytearray(2 * count)
    data[0::2], data[1::2] = packed[2::4], packed[3::4]
    if whole < size:  # two characters for a last single byte
        last = values[-2] + 45 * values[-1]
        if last > 0xFF:
            raise ValueError("not base45")
        data.append(last)
    return bytes(data)


class SignedQRError(Exception):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason  # "bad_token" or "expired"


@dataclass(frozen=True)
class VerifyKey:
    kid: bytes
    public: ec.EllipticCurvePublicKey

    @property
    def point(self) -> tuple[bytes, bytes]:
        numbers = self.public.public_numbers()
        return numbers.x.to_bytes(32, "big"), numbers.y.to_bytes(32, "big")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def key_id(public: ec.EllipticCurvePublicKey) -> bytes:
    spki = public.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(spki).digest()[:8]


@cache
def _private_key(encoded: str) -> ec.EllipticCurvePrivateKey:
    return ec.derive_private_key(int.from_bytes(_unb64(encoded), "big"), ec.SECP256R1())


def signing_key() -> ec.EllipticCurvePrivateKey:
    return _private_key(settings.QR_SIGNING_KEY)


def public_point_b64(public: ec.EllipticCurvePublicKey) -> str:
    """The form QR_VERIFY_KEYS takes: base64url of the uncompressed point (65 bytes)."""
    return _b64(public.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint))


def verify_keys() -> tuple[VerifyKey, ...]:
    """The signing key's public half first, then the older keys still accepted (rotation overlap)."""
    return _verify_keys(settings.QR_SIGNING_KEY, tuple(settings.QR_VERIFY_KEYS))


@lru_cache(maxsize=8)
def _verify_keys(signing: str, older: tuple[str, ...]) -> tuple[VerifyKey, ...]:
    """Built once per key setting: every verification checks a signature with them (a fresh key object
    each time cost 0.03 ms of a 0.19 ms token check)."""
    current = _private_key(signing).public_key()
    keys = [VerifyKey(key_id(current), current)]
    for encoded in older:
        public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), _unb64(encoded))
        if key_id(public) != keys[0].kid:
            keys.append(VerifyKey(key_id(public), public))
    return tuple(keys)


def jwks(keys: Sequence[VerifyKey] | None = None) -> dict:
    """The public keys as a JWK Set (RFC 7517): what an offline verifier downloads once."""
    out = []
    for key in keys if keys is not None else verify_keys():
        x, y = key.point
        out.append({"kty": "EC", "crv": "P-256", "x": _b64(x), "y": _b64(y), "kid": _b64(key.kid), "use": "sig",
                    "alg": "ES256"})  # fmt: skip
    return {"keys": out}


def keys_from_jwks(document: dict) -> list[VerifyKey]:
    """Read a JWK Set (the verifier's side); a key whose kid is not its own key id is refused."""
    keys = []
    for entry in document.get("keys", []):
        if entry.get("kty") != "EC" or entry.get("crv") != "P-256" or entry.get("alg", "ES256") != "ES256":
            continue
        numbers = ec.EllipticCurvePublicNumbers(
            int.from_bytes(_unb64(entry["x"]), "big"), int.from_bytes(_unb64(entry["y"]), "big"), ec.SECP256R1()
        )
        public = numbers.public_key()
        if _b64(key_id(public)) != entry.get("kid"):
            raise ValueError("a key's kid does not match the key")
        keys.append(VerifyKey(key_id(public), public))
    return keys


def _to_be_signed(protected: bytes, payload: bytes) -> bytes:
    """COSE's Sig_structure for COSE_Sign1 (RFC 9052, 4.4), with no external data."""
    return cbor2.dumps(["Signature1", protected, b"", payload])


def cose_sign1(private: ec.EllipticCurvePrivateKey, *, protected: dict, unprotected: dict, payload: bytes) -> list:
    """An untagged COSE_Sign1 `[protected, unprotected, payload, signature]` signed ES256 on OpenSSL
    (the signed QR here, the mdoc's security object in licences/mdoc.py)."""
    protected_bytes = cbor2.dumps(protected)
    r, s = decode_dss_signature(private.sign(_to_be_signed(protected_bytes, payload), ec.ECDSA(hashes.SHA256())))
    return [protected_bytes, unprotected, payload, r.to_bytes(32, "big") + s.to_bytes(32, "big")]


def sign(elicence_claims: dict, *, now: int, ttl: int) -> str:
    """The e-licence's claims, signed with QR_SIGNING_KEY, as `EL1:` text for a QR code.

    COSE_Sign1 is four CBOR items; it is built on `cryptography` (OpenSSL), whose ECDSA is ~30×
    faster than pycose's pure-Python one: the tests check that pycose reads and verifies these tokens."""
    private = signing_key()
    claims = {CLAIM_ISS: settings.QR_ISSUER, CLAIM_IAT: now, CLAIM_EXP: now + ttl, CLAIM_ELICENCE: elicence_claims}
    header = {HEADER_ALG: ES256, HEADER_KID: key_id(private.public_key())}
    signed = cose_sign1(private, protected=header, unprotected={}, payload=cbor2.dumps(claims))
    message = cbor2.CBORTag(COSE_SIGN1_TAG, signed)
    return PREFIX + base45.b45encode(zlib.compress(cbor2.dumps(message), 9)).decode()


def read(text: str, *, keys: Sequence[VerifyKey], now: float, skew: int = 0) -> dict:
    """The claims of a genuine, unexpired token signed by one of `keys`, or SignedQRError."""
    text = (text or "").strip()
    if not text.startswith(PREFIX) or len(text) > MAX_TEXT:
        raise SignedQRError("bad_token")
    try:
        inflater = zlib.decompressobj()
        data = inflater.decompress(b45decode(text[len(PREFIX) :]), MAX_COSE_BYTES)
        if inflater.unconsumed_tail or not inflater.eof:
            raise SignedQRError("bad_token")
        message = cbor2.loads(data)
        protected, _unprotected, payload, signature = message.value
        header = cbor2.loads(protected)
        well_formed = isinstance(header, dict) and isinstance(payload, bytes) and isinstance(signature, bytes)
        if message.tag != COSE_SIGN1_TAG or not well_formed or len(signature) != 64:
            raise SignedQRError("bad_token")
    except SignedQRError:
        raise
    except Exception:  # not base45, zlib, CBOR or a COSE_Sign1: the libraries raise their own kinds
        raise SignedQRError("bad_token") from None
    if header.get(HEADER_ALG) != ES256:
        raise SignedQRError("bad_token")  # only ES256: never an algorithm the token chooses for itself
    key = next((k for k in keys if k.kid == header.get(HEADER_KID)), None)
    if key is None:
        raise SignedQRError("bad_token")
    der = encode_dss_signature(int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big"))
    try:
        key.public.verify(der, _to_be_signed(protected, payload), ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        raise SignedQRError("bad_token") from None
    try:
        claims = cbor2.loads(payload)
        expires = int(claims[CLAIM_EXP])
        elicence = claims[CLAIM_ELICENCE]
    except Exception:
        raise SignedQRError("bad_token") from None
    if not isinstance(elicence, dict):
        raise SignedQRError("bad_token")
    if now > expires + skew:
        raise SignedQRError("expired")
    return {"issuer": claims.get(CLAIM_ISS), "issued_at": claims.get(CLAIM_IAT), "expires_at": expires, **elicence}
