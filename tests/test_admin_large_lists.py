"""The staff console's lists of tables that grow with the population (verifications, the audit log,
licences, accounts): a page costs the same few queries however many rows there are, dates are
chosen as ranges, and counts on a large PostgreSQL table are estimated or stopped (portal.admin)."""

import re
from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from conftest import make_organisation, make_staff
from licences.models import Verification
from portal.admin import LargeTablePaginator

pytestmark = pytest.mark.django_db

LIST = "/admin/licences/verification/"


@pytest.fixture
def staff_client(client):
    client.force_login(make_staff("supervisor"))
    return client


def checks(count: int, *, at: datetime | None = None, organisation=None, method: str = "qr", purpose="") -> None:
    Verification.objects.bulk_create(
        Verification(
            organisation=organisation, method=method, valid=True, purpose=purpose, **({"checked_at": at} if at else {})
        )
        for _ in range(count)
    )


def paginator_text(page: str) -> str:
    found = re.search(r'<p class="paginator">(.*?)</p>', page, re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", found.group(1)).split())


def queries_for(client, url: str, **data) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url, data).status_code == 200
    return len(captured.captured_queries)


def test_a_page_of_checks_costs_the_same_queries_for_3_rows_as_for_30(staff_client):
    """Each row names its organisation: read with the page (list_select_related), not one query per row."""
    police = make_organisation("police")
    checks(3, organisation=police)
    few = queries_for(staff_client, LIST)
    checks(27, organisation=make_organisation("insurer"))
    page = staff_client.get(LIST).content.decode()
    assert page.count(police.name) >= 3
    assert queries_for(staff_client, LIST) == few


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_checks_are_chosen_by_a_range_of_days_in_the_portals_time_zone(staff_client, language):
    """23:30 on 1 March in Beijing is 15:30 UTC that day; 00:10 on 2 March is 16:10 UTC on 1 March: the
    range 1–1 March takes the first only; the form keeps the list's other filters."""
    late_on_the_first = datetime(2026, 3, 1, 15, 30, tzinfo=UTC)
    early_on_the_second = datetime(2026, 3, 1, 16, 10, tzinfo=UTC)
    checks(1, at=late_on_the_first, method="qr")
    checks(2, at=early_on_the_second, method="qr")
    checks(4, at=late_on_the_first, method="code")
    staff_client.cookies["django_language"] = language
    headers = {}
    one_day = {"checked_at__from": "2026-03-01", "checked_at__to": "2026-03-01", "method__exact": "qr"}
    page = staff_client.get(LIST, one_day, **headers).content.decode()
    assert re.search(r"\b1 (核验记录|verification)\b", paginator_text(page))
    both = staff_client.get(LIST, {**one_day, "checked_at__to": "2026-03-02"}, **headers).content.decode()
    assert re.search(r"\b3 (核验记录|verification log)\b", paginator_text(both))
    # The form: two dates, the other filter kept as a hidden input, labels in the page's language.
    assert '<input type="date" name="checked_at__from" value="2026-03-01">' in page
    assert '<input type="hidden" name="method__exact" value="qr">' in page
    assert ("起始日期" in page) == (language == "zh-hans") and ("From" in page) == (language == "en")
    # Django's date hierarchy (a scan of the table for its years) is gone from this list.
    assert "checked_at__year" not in page and 'class="xfull"' not in page


@pytest.mark.parametrize(
    "given", [{"checked_at__from": "2026-02-30"}, {"checked_at__to": "9999-12-31"}, {"checked_at__from": "<script>"}]
)
def test_a_date_that_is_not_a_date_is_an_error_not_a_crash(staff_client, given):
    answer = staff_client.get(LIST, given)
    assert answer.status_code == 302 and answer["Location"].endswith("?e=1")


def test_the_audit_log_is_chosen_by_days_too(staff_client):
    from portal.accounts.models import AuditEntry

    AuditEntry.objects.create(at=datetime(2026, 3, 1, 15, 30, tzinfo=UTC), action="test.first", object_type="x")
    AuditEntry.objects.create(at=datetime(2026, 3, 1, 16, 10, tzinfo=UTC), action="test.second", object_type="x")
    page = staff_client.get("/admin/accounts/auditentry/", {"at__from": "2026-03-01", "at__to": "2026-03-01"})
    text = page.content.decode()
    assert page.status_code == 200 and "test.first" in text and "test.second" not in text


def test_counts_on_a_large_table_are_estimated_or_stopped_and_pages_stop_with_them(staff_client, monkeypatch):
    """PostgreSQL: past `large_from` rows (lowered here to 20) the whole list shows the planner's estimate
    ('about'), a filtered list is counted up to `count_limit` (lowered to 25: 'more than'), and pages end
    there (10 rows a page here). SQLite has no estimate: every count stays exact and every page reachable."""
    monkeypatch.setattr(LargeTablePaginator, "large_from", 20)
    monkeypatch.setattr(LargeTablePaginator, "count_limit", 25)
    from django.contrib import admin

    monkeypatch.setattr(admin.site._registry[Verification], "list_per_page", 10)
    checks(40, method="qr")
    checks(5, method="code")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {Verification._meta.db_table}")
    whole = paginator_text(staff_client.get(LIST).content.decode())  # in Chinese, the default
    staff_client.cookies["django_language"] = "en"
    narrowed = staff_client.get(LIST, {"method__exact": "qr"}).content.decode()
    small = staff_client.get(LIST, {"method__exact": "code"}).content.decode()
    fourth_page = staff_client.get(LIST, {"p": "4"})  # 10 a page: rows 31–40
    if connection.vendor == "postgresql":
        assert "核验记录：约 45" in whole, whole
        assert "verification log: more than 25" in paginator_text(narrowed)
        assert "verification log: more than 25 (" in narrowed  # the search bar's count says the same
        assert fourth_page.status_code == 302  # pages end with the count: 25 rows, 3 pages
    else:
        assert "约" not in whole and re.search(r"\b45 核验记录", whole), whole
        assert re.search(r"\b40 verification log", paginator_text(narrowed))
        assert fourth_page.status_code == 200
    assert re.search(r"\b5 verification log", paginator_text(small))  # few enough to count exactly everywhere


def test_a_narrowed_list_that_runs_too_long_is_stopped_and_staff_are_told_to_narrow_it(
    staff_client, monkeypatch, settings
):
    """PostgreSQL: a search whose query outlasts ADMIN_LIST_TIMEOUT (0.1 s here; each row made to cost
    0.2 s) is cancelled by the database; the list comes back without the search and a message in the
    reader's language, and the connection's own statement_timeout is restored. SQLite has no statement
    timeout: the same search simply answers."""
    from django.contrib import admin

    checks(3)
    settings.ADMIN_LIST_TIMEOUT = 0.1
    model_admin = admin.site._registry[Verification]
    original = model_admin.get_search_results

    def slow_search(request, queryset, search_term):
        found, duplicates = original(request, queryset, search_term)
        if search_term and connection.vendor == "postgresql":
            found = found.extra(where=["pg_sleep(0.2) IS NOT NULL"])
        return found, duplicates

    monkeypatch.setattr(model_admin, "get_search_results", slow_search)
    answer = staff_client.get(LIST, {"q": "路检"})
    if connection.vendor == "postgresql":
        assert answer.status_code == 302 and answer["Location"] == LIST
        page = staff_client.get(answer["Location"]).content.decode()
        assert "此列表加载时间过长" in page
        with connection.cursor() as cursor:
            cursor.execute("SHOW statement_timeout")
            assert cursor.fetchone()[0] == "0"
        assert staff_client.get(LIST, {"method__exact": "qr"}).status_code == 200  # a quick narrowed list
        # The plain list too slow (every row made slow): back to the console's home page, not to itself.
        slow_rows = model_admin.get_queryset(None).extra(where=["pg_sleep(0.2) IS NOT NULL"])
        monkeypatch.setattr(model_admin, "get_queryset", lambda request: slow_rows)
        plain = staff_client.get(LIST)
        assert plain.status_code == 302 and plain["Location"] == "/admin/"
    else:
        assert answer.status_code == 200


def test_every_large_list_opens_in_an_order_that_an_index_serves(rf, supervisor):
    """The plain list's first page (100 rows of hundreds of millions) is read from an index on its order,
    not by sorting the table: every list with LargeListMixin is checked against the database's indexes."""
    from django.contrib import admin

    from portal.admin import LargeListMixin

    request = rf.get("/admin/")
    request.user = supervisor
    checked = []
    for model, model_admin in admin.site._registry.items():
        if not isinstance(model_admin, LargeListMixin):
            continue
        first = (list(model_admin.get_ordering(request) or model._meta.ordering) or ["-pk"])[0].lstrip("-")
        column = model._meta.pk.column if first == "pk" else model._meta.get_field(first).column
        with connection.cursor() as cursor:
            constraints = connection.introspection.get_constraints(cursor, model._meta.db_table)
        assert any(
            c["columns"] and c["columns"][0] == column and (c["index"] or c["primary_key"] or c["unique"])
            for c in constraints.values()
        ), f"{model.__name__}: no index starts with {column}"
        checked.append(model.__name__)
    assert {"Verification", "AuditEntry", "ELicence", "Application", "Photo", "User", "Licence"} <= set(checked)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_a_check_is_found_by_its_receipt_id_without_a_scan(staff_client, language):
    """The receipt of a check shows its id (核验编号); staff searching it (any case, hyphens or not) get that
    one check through the primary key, not a substring scan; an e-licence's id finds its checks. Other terms
    search organisation and purpose as before."""
    from conftest import make_elicence, make_person

    police = make_organisation("police")
    elicence = make_elicence(make_person(name="张三"))
    checks(3, organisation=police, purpose="路检")
    wanted = Verification.objects.create(elicence=elicence, method="qr", valid=True, purpose="租车")
    Verification.objects.create(elicence=elicence, method="code", valid=False, reason="expired")
    staff_client.cookies["django_language"] = language
    for term in (str(wanted.pk), f"  {wanted.pk.hex.upper()} "):
        with CaptureQueriesContext(connection) as captured:
            page = staff_client.get(LIST, {"q": term}).content.decode()
        assert re.search(r"\b1 (核验记录|verification)\b", paginator_text(page)), term
        assert f"/admin/licences/verification/{wanted.pk}/change/" in page
        listed = [q["sql"] for q in captured.captured_queries if '"licences_verification"' in q["sql"]]
        assert listed and not any("LIKE" in sql.upper() for sql in listed)
    by_licence = staff_client.get(LIST, {"q": str(elicence.pk)}).content.decode()
    assert re.search(r"\b2 (核验记录|verification log)\b", paginator_text(by_licence))
    by_purpose = staff_client.get(LIST, {"q": "路检"}).content.decode()
    assert re.search(r"\b3 (核验记录|verification log)\b", paginator_text(by_purpose))
    assert ("回执上的核验编号" in by_purpose) == (language == "zh-hans")
    assert ("receipt id" in by_purpose) == (language == "en")
    other = make_elicence(make_person(name="李四"))
    elicences = staff_client.get("/admin/licences/elicence/", {"q": elicence.pk.hex}).content.decode()
    assert f"/admin/licences/elicence/{elicence.pk}/change/" in elicences
    assert f"/admin/licences/elicence/{other.pk}/change/" not in elicences
    # A UUID nobody has: nothing, and no error.
    missing = staff_client.get(LIST, {"q": "00000000-0000-4000-8000-000000000000"})
    assert missing.status_code == 200 and re.search(
        r"\b0 (核验记录|verification log)\b", paginator_text(missing.content.decode())
    )


def test_an_audit_entry_is_found_by_its_object_id_exactly(staff_client):
    from portal.accounts.models import AuditEntry

    target = "3f2c1a9e-0b7d-4c55-9a61-2d4e8f0b1c23"
    AuditEntry.objects.create(action="licence.update", object_type="licence", object_id=target)
    AuditEntry.objects.create(action="licence.update", object_type="licence", object_id="other")
    with CaptureQueriesContext(connection) as captured:
        page = staff_client.get("/admin/accounts/auditentry/", {"q": target.upper()}).content.decode()
    assert page.count(target) == 1 and ">other<" not in page
    listed = [q["sql"] for q in captured.captured_queries if '"accounts_auditentry"' in q["sql"]]
    assert listed and not any("LIKE" in sql.upper() for sql in listed)


def test_an_application_is_found_by_the_id_in_its_applicants_address(staff_client):
    from conftest import make_due_applications
    from reviews.models import Application

    make_due_applications(3)
    wanted, *others = Application.objects.all()
    page = staff_client.get("/admin/reviews/application/", {"q": str(wanted.pk).upper()}).content.decode()
    assert f"/admin/reviews/application/{wanted.pk}/change/" in page
    assert not any(f"/admin/reviews/application/{other.pk}/change/" in page for other in others)
