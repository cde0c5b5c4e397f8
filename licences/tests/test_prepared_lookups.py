"""Reads compiled once (portal/prepared.py), on the verification, display and token paths: the ORM's objects."""

from unittest import mock

import pytest
from django.db import connection
from django.db.models.sql.compiler import SQLCompiler
from django.test.utils import CaptureQueriesContext

from conftest import make_elicence, make_person
from licences import selectors, tokens
from licences.models import ELicence, QRCode, Share
from licences.services import elicence_qr_issue, share_create
from portal.prepared import PreparedLookup

pytestmark = pytest.mark.django_db


def values(instance) -> dict:
    """Every stored field of a row as Python sees it (decrypted, converted)."""
    return {field.attname: getattr(instance, field.attname) for field in instance._meta.concrete_fields}


def assert_same_rows(prepared, orm) -> None:
    assert type(prepared) is type(orm)
    assert values(prepared) == values(orm)
    assert not prepared._state.adding and prepared._state.db == orm._state.db


def new_code(person) -> str:
    """The stored short code of a fresh QR issue of the person's e-licence."""
    return tokens.normalise_code(elicence_qr_issue(elicence=person.elicences.get()).short_code)


@pytest.fixture
def holder(db):
    person = make_person(name="欧阳娜娜")
    make_elicence(person)
    return person


def test_a_qr_code_is_read_with_its_e_licence_and_licence_as_the_orm_reads_it(holder):
    code = new_code(holder)
    orm = QRCode.objects.select_related("elicence__licence").get(code=code)
    with CaptureQueriesContext(connection) as queries:
        found = selectors.qr_code_by_code(code)
        # The related rows came in the same query: reading them asks the database nothing.
        licence = found.elicence.licence
    assert len(queries) == 1
    assert_same_rows(found, orm)
    assert_same_rows(found.elicence, orm.elicence)
    assert_same_rows(licence, orm.elicence.licence)
    assert licence.number == holder.id_number and licence.name == "欧阳娜娜"  # decrypted, as the ORM does
    assert licence.classes == orm.elicence.licence.classes and licence.valid_from == orm.elicence.licence.valid_from


def test_a_share_and_an_e_licence_by_id_are_read_as_the_orm_reads_them(holder):
    share = share_create(user=holder, purpose="租车", valid_days=3)
    found = selectors.share_by_code(share.code)
    orm = Share.objects.select_related("elicence__licence").get(pk=share.pk)
    assert_same_rows(found, orm)
    assert_same_rows(found.elicence.licence, orm.elicence.licence)
    elicence = holder.elicences.get()
    by_id = selectors.elicence_by_id(elicence.pk)
    assert_same_rows(by_id, ELicence.objects.select_related("licence").get(pk=elicence.pk))
    assert by_id.licence.number == holder.id_number
    assert selectors.elicence_by_id(str(elicence.pk)).pk == elicence.pk  # a UUID given as text, as the ORM takes


def test_the_current_e_licence_is_the_newest_valid_one_else_the_newest(holder):
    from datetime import timedelta

    from licences.models import ELicenceState

    first = holder.elicences.get()
    mine = ELicence.objects.filter(holder=holder)
    mine.update(state=ELicenceState.INVALID)  # one valid e-licence per licence: the second is issued after
    second = make_elicence(holder)  # newer
    mine.filter(pk=second.pk).update(state=ELicenceState.INVALID)
    mine.filter(pk=first.pk).update(state=ELicenceState.VALID, issued_at=second.issued_at - timedelta(days=1))
    current = selectors.elicence_current_for(holder)
    assert current.pk == first.pk  # the valid one, though older
    assert_same_rows(current, ELicence.objects.get(pk=first.pk))
    assert_same_rows(current.licence, ELicence.objects.get(pk=first.pk).licence)
    mine.update(state=ELicenceState.INVALID)
    assert selectors.elicence_current_for(holder).pk == second.pk  # none valid: the newest
    assert selectors.elicence_current_for(make_person()) is None
    make_elicence(make_person())
    assert selectors.elicence_current_for(holder).holder_id == holder.pk  # never someone else's


def test_the_sql_is_compiled_once_then_only_the_key_changes(holder):
    lookup = PreparedLookup(QRCode.objects.select_related("elicence__licence"), "code")
    first = new_code(holder)
    second = new_code(holder)
    assert lookup.get(first).code == first
    with mock.patch.object(SQLCompiler, "as_sql", autospec=True, side_effect=SQLCompiler.as_sql) as compiled:
        assert lookup.get(second).code == second
        assert lookup.get("NOSUCHCODE") is None
    assert compiled.call_count == 0


def test_a_key_is_a_parameter_never_sql(holder):
    code = new_code(holder)
    assert selectors.qr_code_by_code(code) is not None
    for hostile in ("' OR '1'='1", f"{code}' --", "%s", "x\\'; DROP TABLE licences_qrcode; --"):
        assert selectors.qr_code_by_code(hostile) is None
    assert selectors.qr_code_by_code(code).code == code


def test_none_is_looked_up_as_the_orm_does_and_compiles_nothing(holder):
    lookup = PreparedLookup(ELicence.objects.select_related("licence"), "id")
    assert lookup.get(None) is None  # the first call: nothing is compiled from it
    elicence = holder.elicences.get()
    assert lookup.get(elicence.pk).pk == elicence.pk
    revoked_at = PreparedLookup(Share.objects.order_by("created_at"), "revoked_at")
    assert revoked_at.get(None) is None
    share = share_create(user=holder, purpose="租车", valid_days=3)
    assert revoked_at.get(None).pk == share.pk  # IS NULL, as the ORM reads it: a share not revoked


def test_a_queryset_with_parameters_besides_the_key_is_refused(holder):
    lookup = PreparedLookup(ELicence.objects.filter(state="valid"), "id")
    with pytest.raises(ValueError, match="one parameter per key"):
        lookup.get(holder.elicences.get().pk)


def test_a_token_is_checked_with_its_user_and_organisation_in_one_query(holder, police_member, api):
    from rest_framework.authtoken.models import Token

    from portal.authentication import TokenAuthentication

    auth = TokenAuthentication()
    for person in (police_member, holder):  # with an organisation, and without one
        key = Token.objects.create(user=person).key
        with CaptureQueriesContext(connection) as queries:
            user, token = auth.authenticate_credentials(key)
            organisation = user.organisation
        assert len(queries) == 1
        assert (user.pk, token.key) == (person.pk, key)
        assert values(user) == values(type(person).objects.get(pk=person.pk))
        assert organisation == person.organisation and (organisation is None) == (person is holder)
    body = {"token": new_code(holder), "purpose": "路检"}
    police_key = Token.objects.get(user=police_member).key
    seen = api.post("/api/v1/verifications", body, format="json", HTTP_AUTHORIZATION=f"Token {police_key}")
    assert seen.status_code == 200 and seen.json()["holder"]["points"] == 0  # police see every field
    forged = api.post("/api/v1/verifications", body, format="json", HTTP_AUTHORIZATION="Token " + "0" * 40)
    assert forged.status_code == 401
    police_member.is_active = False
    police_member.save(update_fields=["is_active"])
    inactive = api.post("/api/v1/verifications", body, format="json", HTTP_AUTHORIZATION=f"Token {police_key}")
    assert inactive.status_code == 401


def _prepared_statements() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [statement for (statement,) in cursor.fetchall()]


def test_on_postgresql_a_look_up_is_prepared_after_a_few_runs_and_reads_the_same(holder):
    """psycopg prepares a server-bound statement after `prepare_threshold` (5) runs on a connection; the
    rows read through the prepared statement are the ORM's. With the threshold off (DB_PREPARED_STATEMENTS=0,
    for poolers that cannot keep prepared statements) nothing is prepared. On SQLite: the same rows."""
    code = new_code(holder)
    orm = QRCode.objects.select_related("elicence__licence").get(code=code)
    # Two look-ups of their own (a SQL no other test runs on this connection): one off, one on.
    off = PreparedLookup(QRCode.objects.select_related("elicence__licence").order_by("-expires_at"), "code")
    on = PreparedLookup(QRCode.objects.select_related("elicence__licence").order_by("expires_at"), "code")
    options = connection.settings_dict["OPTIONS"]
    postgresql = connection.vendor == "postgresql"
    with mock.patch.dict(options, {"prepare_threshold": None}):
        for _ in range(8):
            found = off.get(code)
            assert_same_rows(found, orm)
            assert_same_rows(found.elicence.licence, orm.elicence.licence)
    with mock.patch.dict(options, {"prepare_threshold": 5} if postgresql else {}):
        for _ in range(8):  # runs 6 to 8 use the prepared statement
            found = on.get(code)
            assert_same_rows(found, orm)
            assert_same_rows(found.elicence, orm.elicence)
            assert_same_rows(found.elicence.licence, orm.elicence.licence)
    assert on.get("NOSUCHCODE") is None
    if postgresql:
        prepared = _prepared_statements()
        assert any('ORDER BY "licences_qrcode"."expires_at" ASC' in statement for statement in prepared)
        assert not any('ORDER BY "licences_qrcode"."expires_at" DESC' in statement for statement in prepared)


def test_a_prepared_insert_stores_the_row_the_orm_would_and_is_prepared_on_postgresql(holder):
    """`PreparedInsert(Verification).create` against `Verification.objects.create` with the same values: the
    stored rows read back alike (defaults, foreign keys, IP, time), on the compiled and then the prepared
    statement. A model whose key the database makes is refused."""
    from datetime import UTC, datetime

    from licences.models import Verification
    from portal.models import RateCounter
    from portal.prepared import PreparedInsert

    elicence = holder.elicences.get()
    insert = PreparedInsert(Verification)
    at = datetime(2026, 11, 29, 8, 30, 15, 123456, tzinfo=UTC)
    given = {
        "elicence": elicence, "verifier": holder, "method": "qr", "purpose": "租车 rental", "valid": False,
        "reason": "expired", "paper_required": True, "checked_at": at, "ip": "2001:db8::1",
    }  # fmt: skip
    ignored = {"id"}
    for run in range(8):  # runs 6 to 8 use the prepared statement on PostgreSQL
        ours = insert.create(**given)
        theirs = Verification.objects.create(**given)
        assert not ours._state.adding and ours._state.db == "default"
        stored, expected = Verification.objects.get(pk=ours.pk), Verification.objects.get(pk=theirs.pk)
        assert {k: v for k, v in values(stored).items() if k not in ignored} == {
            k: v for k, v in values(expected).items() if k not in ignored
        }
        assert values(stored) == values(ours)  # what create returned is what was stored
        # psycopg prepares per statement and parameter types: the types stay, the values change
        given = {**given, "valid": run % 2 == 0, "ip": "192.0.2.7" if run % 3 else "::1", "purpose": f"#{run}"}
    defaults = insert.create(method="code", valid=True)  # the defaults, and NULLs
    stored = Verification.objects.get(pk=defaults.pk)
    assert stored.elicence is None and stored.paper_required is False and stored.checked_at == defaults.checked_at
    if connection.vendor == "postgresql":
        assert any(s.startswith('INSERT INTO "licences_verification"') for s in _prepared_statements())
    with pytest.raises(ValueError, match="primary key made in Python"):
        PreparedInsert(RateCounter)  # an auto-increment key
