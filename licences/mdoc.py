"""The e-licence as an ISO/IEC 18013-5 mobile driving licence (mdoc), issuer-signed.

`GET /api/v1/elicence/mdoc` gives the holder a DeviceResponse (CBOR) with one document of doc type
`org.iso.18013.5.1.mDL`: the data elements of namespace `org.iso.18013.5.1` as IssuerSignedItems
(each with its digest ID and 16 random bytes, tag 24), and the Mobile Security Object (their SHA-256
digests, the doc type, the validity) in a COSE_Sign1 signed with ES256 by a document signer (DS)
certificate, which is carried in the unprotected header (x5chain, label 33) and issued by the
issuing authority's root (IACA). Built here with cbor2 and the COSE_Sign1 of licences/signed_qr.py;
verified in the tests by an independent implementation (pymdoccbor, on pycose).

Keys: MDOC_IACA_CERT, MDOC_DS_CERT and MDOC_DS_KEY (PEM files) in production; otherwise a demo
IACA root and document signer are made once under VAR_DIR/mdoc/ (docs/offline.md). Not built: device
binding (DeviceSigned / DeviceAuth): the device key in the MSO is one made for the export and then
discarded, so a reader can check that the issuer signed these data, not that this phone holds them.
"""

from __future__ import annotations

import fcntl
import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import cbor2
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID, ObjectIdentifier
from django.conf import settings

from licences import signed_qr

DOC_TYPE = "org.iso.18013.5.1.mDL"
NAMESPACE = "org.iso.18013.5.1"
MSO_VALIDITY = timedelta(days=30)  # the holder exports again to refresh
MDL_DS_EKU = ObjectIdentifier("1.0.18013.5.1.2")  # id-mdl-kp-mdlDS
X5CHAIN = 33  # COSE header: the certificate chain


@dataclass(frozen=True)
class Signer:
    iaca: x509.Certificate
    certificate: x509.Certificate
    key: ec.EllipticCurvePrivateKey


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"), x509.NameAttribute(NameOID.COMMON_NAME, common_name)]
    )


def _make_demo(folder: Path) -> None:
    """A demo IACA root (10 years) and a document signer under it (1 year), P-256."""
    now = datetime.now(UTC) - timedelta(minutes=5)
    root_key = ec.generate_private_key(ec.SECP256R1())
    root = (
        x509.CertificateBuilder()
        .subject_name(_name("E-licence portal demo IACA"))
        .issuer_name(_name("E-licence portal demo IACA"))
        .public_key(root_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
        )  # keyCertSign, cRLSign
        .sign(root_key, hashes.SHA256())
    )
    ds_key = ec.generate_private_key(ec.SECP256R1())
    ds = (
        x509.CertificateBuilder()
        .subject_name(_name("E-licence portal document signer"))
        .issuer_name(root.subject)
        .public_key(ds_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + timedelta(days=365))
        .add_extension(x509.KeyUsage(True, False, False, False, False, False, False, False, False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([MDL_DS_EKU]), critical=True)
        .sign(root_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    (folder / "iaca.pem").write_bytes(root.public_bytes(pem))
    (folder / "ds.pem").write_bytes(ds.public_bytes(pem))
    key_file = folder / "ds-key.pem"
    key_file.write_bytes(ds_key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    key_file.chmod(0o600)


def signer() -> Signer:
    """The document signer: from MDOC_* files when set, else the demo one under VAR_DIR/mdoc/."""
    if settings.MDOC_DS_KEY:
        paths = Path(settings.MDOC_IACA_CERT), Path(settings.MDOC_DS_CERT), Path(settings.MDOC_DS_KEY)
    else:
        folder = Path(settings.VAR_DIR) / "mdoc"
        folder.mkdir(parents=True, exist_ok=True)
        with open(folder / ".lock", "w") as lock:  # several processes on first use make it once
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not (folder / "ds-key.pem").exists():
                _make_demo(folder)
        paths = folder / "iaca.pem", folder / "ds.pem", folder / "ds-key.pem"
    iaca = x509.load_pem_x509_certificate(paths[0].read_bytes())
    certificate = x509.load_pem_x509_certificate(paths[1].read_bytes())
    key = serialization.load_pem_private_key(paths[2].read_bytes(), password=None)
    return Signer(iaca, certificate, key)


def _full_date(value: date) -> cbor2.CBORTag:
    return cbor2.CBORTag(1004, value.isoformat())


def _tdate(value: datetime) -> cbor2.CBORTag:
    return cbor2.CBORTag(0, value.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ"))


def data_elements(licence, portrait: bytes) -> dict:
    """The licence as mDL data elements (ISO/IEC 18013-5, 7.2.1). The register holds one name: its first
    character is taken as the family name (as for nearly all Chinese names)."""
    expiry = licence.valid_until or date(9999, 12, 31)  # 长期 (long-term)
    return {
        "family_name": licence.name[:1],
        "given_name": licence.name[1:],
        "birth_date": _full_date(licence.birth_date),
        "issue_date": _full_date(licence.valid_from),
        "expiry_date": _full_date(expiry),
        "issuing_country": "CN",
        "issuing_authority": licence.issuing_authority,
        "document_number": licence.number,
        "portrait": portrait,
        "driving_privileges": [
            {
                "vehicle_category_code": code,
                "issue_date": _full_date(licence.valid_from),
                "expiry_date": _full_date(expiry),
            }
            for code in licence.classes
        ],
        "un_distinguishing_sign": "CHN",
    }


def device_response(elements: dict, *, now: datetime | None = None, with_signer: Signer | None = None) -> bytes:
    """A DeviceResponse (CBOR) holding one issuer-signed mDL document with `elements`."""
    now = now or datetime.now(UTC)
    signing = with_signer or signer()
    items = []
    digests = {}
    for digest_id, (identifier, value) in enumerate(elements.items()):
        item = {"digestID": digest_id, "random": secrets.token_bytes(16), "elementIdentifier": identifier,
                "elementValue": value}  # fmt: skip
        tagged = cbor2.CBORTag(24, cbor2.dumps(item))
        items.append(tagged)
        digests[digest_id] = hashlib.sha256(cbor2.dumps(tagged)).digest()
    device = ec.generate_private_key(ec.SECP256R1()).public_key().public_numbers()  # no device binding (above)
    mso = {
        "version": "1.0",
        "digestAlgorithm": "SHA-256",
        "valueDigests": {NAMESPACE: digests},
        "deviceKeyInfo": {
            "deviceKey": {1: 2, -1: 1, -2: device.x.to_bytes(32, "big"), -3: device.y.to_bytes(32, "big")}
        },
        "docType": DOC_TYPE,
        "validityInfo": {"signed": _tdate(now), "validFrom": _tdate(now), "validUntil": _tdate(now + MSO_VALIDITY)},
    }
    issuer_auth = signed_qr.cose_sign1(  # the untagged COSE_Sign1 array; x5chain (33) carries the signer
        signing.key,
        protected={signed_qr.HEADER_ALG: signed_qr.ES256},
        unprotected={X5CHAIN: signing.certificate.public_bytes(serialization.Encoding.DER)},
        payload=cbor2.dumps(cbor2.CBORTag(24, cbor2.dumps(mso))),
    )
    document = {"docType": DOC_TYPE, "issuerSigned": {"nameSpaces": {NAMESPACE: items}, "issuerAuth": issuer_auth}}
    return cbor2.dumps({"version": "1.0", "documents": [document], "status": 0})
