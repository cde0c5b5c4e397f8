"""ISO/IEC 18013-5 export: issued here with cbor2 + pycose, verified with pymdoccbor (an independent
implementation of the mdoc verifier), and refused by it when any element is changed."""

import hashlib

import cbor2
import pytest
from cryptography import x509

from conftest import make_elicence, make_person
from licences import mdoc
from licences.services import licence_set_portrait
from tests import photoset

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _own_var_dir(settings, tmp_path):
    settings.VAR_DIR = tmp_path  # the demo IACA and signer are made here, once
    settings.MEDIA_ROOT = tmp_path / "media"


def holder_with_portrait():
    person = make_person(name="张三")
    make_elicence(person)
    licence_set_portrait(actor="test", number=person.id_number, portrait=photoset.good(9).data)
    return person


def export(api, person):
    api.force_authenticate(person)
    return api.get("/api/v1/elicence/mdoc")


def independent_verify(data: bytes, roots: list) -> tuple[bool, object]:
    from pymdoccbor.mdoc.verifier import MdocCbor

    reader = MdocCbor()
    reader.loads(data)
    return reader.verify(trusted_root_certs=roots), reader


def iaca() -> x509.Certificate:
    return mdoc.signer().iaca


def test_the_export_verifies_with_an_independent_library(api, client):
    person = holder_with_portrait()
    answer = export(api, person)
    assert answer.status_code == 200 and answer["Content-Type"] == "application/cbor"
    assert answer["Cache-Control"] == "no-store"
    published = client.get("/.well-known/mdoc-iaca.pem")  # the trust anchor a reader downloads
    assert published.status_code == 200 and b"BEGIN CERTIFICATE" in published.content
    root = x509.load_pem_x509_certificate(published.content)
    assert root.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    valid, reader = independent_verify(answer.content, [root])
    assert valid and len(reader.documents) == 1 and not reader.documents_invalid
    document = reader.documents[0]
    assert document.doctype == "org.iso.18013.5.1.mDL"
    assert document.hash_verification["verified"] == document.hash_verification["total"] == 11
    claims = reader.disclosure_map["org.iso.18013.5.1"]
    assert claims["family_name"] == "张" and claims["given_name"] == "三"
    assert claims["issuing_country"] == "CN" and claims["un_distinguishing_sign"] == "CHN"
    assert claims["document_number"] == person.id_number  # the holder's own document, for the holder only
    assert claims["birth_date"] and claims["expiry_date"] and claims["issuing_authority"]
    assert [p["vehicle_category_code"] for p in claims["driving_privileges"]] == ["C1"]
    assert claims["portrait"][:2] == b"\xff\xd8"  # the JPEG on record
    body = cbor2.loads(answer.content)
    assert body["version"] == "1.0" and body["status"] == 0


def _items(data: bytes):
    body = cbor2.loads(data)
    return body, body["documents"][0]["issuerSigned"]["nameSpaces"]["org.iso.18013.5.1"]


CHANGED = {
    "family_name": "李",
    "given_name": "四",
    "birth_date": cbor2.CBORTag(1004, "1970-01-01"),
    "issue_date": cbor2.CBORTag(1004, "2020-01-01"),
    "expiry_date": cbor2.CBORTag(1004, "2099-12-31"),
    "issuing_country": "HK",
    "issuing_authority": "another authority",
    "document_number": "110105199001010011",
    "portrait": b"\xff\xd8 another face",
    "driving_privileges": [{"vehicle_category_code": "A1"}],
    "un_distinguishing_sign": "HK",
}


@pytest.mark.parametrize("element", sorted(CHANGED))
def test_changing_any_element_fails(api, element):
    answer = export(api, holder_with_portrait())
    body, items = _items(answer.content)
    for index, tagged in enumerate(items):
        item = cbor2.loads(tagged.value)
        if item["elementIdentifier"] == element:
            item["elementValue"] = CHANGED[element]
            items[index] = cbor2.CBORTag(24, cbor2.dumps(item))
            break
    else:
        raise AssertionError(f"{element} is not in the export")
    valid, reader = independent_verify(cbor2.dumps(body), [iaca()])
    assert not valid and reader.documents_invalid


def test_a_changed_security_object_or_another_root_fails(api):
    data = export(api, holder_with_portrait()).content
    body = cbor2.loads(data)
    auth = body["documents"][0]["issuerSigned"]["issuerAuth"]
    mso = cbor2.loads(cbor2.loads(auth[2]).value)
    digests = mso["valueDigests"]["org.iso.18013.5.1"]
    digests[0] = hashlib.sha256(b"forged").digest()  # the digest of a forged element
    auth[2] = cbor2.dumps(cbor2.CBORTag(24, cbor2.dumps(mso)))
    assert not independent_verify(cbor2.dumps(body), [iaca()])[0]
    # The genuine export under a root the reader does not trust.
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec

    other_key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(x509.oid.NameOID.COMMON_NAME, "another IACA")])
    from datetime import UTC, datetime, timedelta

    other_root = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(other_key.public_key())
        .serial_number(1).not_valid_before(datetime.now(UTC)).not_valid_after(datetime.now(UTC) + timedelta(days=1))
        .sign(other_key, hashes.SHA256())
    )  # fmt: skip
    assert not independent_verify(data, [other_root])[0]
    assert independent_verify(data, [iaca()])[0]


def test_only_the_holder_gets_it_and_refusals_are_clear(api, outsider):
    assert export(api, outsider).status_code == 404  # no e-licence of one's own, and never another's
    api.force_authenticate(None)
    assert api.get("/api/v1/elicence/mdoc").status_code in (401, 403)
    person = make_person(name="王五")
    make_elicence(person)  # no portrait on record
    answer = export(api, person)
    assert answer.status_code == 409 and answer.json()["code"] == "no_portrait"
