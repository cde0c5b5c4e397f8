"""The staff console's lists on a large table: milliseconds and queries per page, Django's defaults
against the portal's (portal.admin: LargeTablePaginator, DateRangeFilter, list_select_related).

    .venv/bin/python bench/admin_lists.py [--rows 1000000] [--repeat 3]

Needs PostgreSQL on 127.0.0.1:5432 (user postgres, trust). Creates the database `elicence_bench_admin`
afresh, fills the verification log and the audit log with --rows rows each (one SQL statement each;
a third of the checks by an organisation, one in seven invalid, spread over the past year), ANALYZEs,
and opens each list page in-process (Django's test client, production settings, a signed-in staff
member with a second factor) --repeat times, first as Django's admin does by default (exact counts of
the list and of the whole table, the date hierarchy, facets allowed, one query per row's organisation,
a search matching substrings of the search fields only), then as the portal does (a whole id searched
by its index). Prints the median time and the queries of each page. Both columns run under
the portal's statement timeout (portal.admin.LargeListMixin.changelist_view: four short statements of
its own per page); only the list's shape changes between them.
"""

import argparse
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import fresh_database, production_env  # noqa: E402

PY = sys.executable
DB = "elicence_bench_admin"

FILL = r"""
from django.db import connection
from conftest import make_organisation, make_staff
from licences.models import Verification
from portal.accounts.models import AuditEntry
rows = int("ROWS")
police = make_organisation("police")
staff = make_staff("supervisor")
with connection.cursor() as cursor:
    cursor.execute(
        f"INSERT INTO {Verification._meta.db_table} (id, organisation_id, method, purpose, valid, reason, "
        "paper_required, checked_at) SELECT gen_random_uuid(), CASE WHEN g %% 3 = 0 THEN %s END, 'qr', '', "
        "g %% 7 <> 0, "
        "CASE WHEN g %% 7 = 0 THEN 'expired' ELSE '' END, false, now() - make_interval(secs => g * 31536000.0 / %s) "
        "FROM generate_series(1, %s) g",
        [police.pk, rows, rows],
    )
    cursor.execute(
        f"INSERT INTO {AuditEntry._meta.db_table} (id, at, actor_label, action, object_type, object_id, data) "
        "SELECT gen_random_uuid(), now() - make_interval(secs => g * 31536000.0 / %s), 'system', "
        "'elicence.issued', 'elicence', g::text, '{}'::jsonb FROM generate_series(1, %s) g",
        [rows, rows],
    )
    cursor.execute("ANALYZE")
print(staff.pk)
"""

MEASURE = r"""
import statistics, time
from datetime import timedelta
from django.contrib import admin
from django.core.paginator import Paginator
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from conftest import staff_authenticator
from licences.models import Verification
from portal.accounts.models import AuditEntry, User

staff_id, repeat = "STAFF_ID", int("REPEAT")
client = Client()
staff = User.objects.get(pk=staff_id)
client.force_login(staff)
session = client.session
session[DEVICE_ID_SESSION_KEY] = staff_authenticator(staff).persistent_id
session.save()
client.cookies["django_language"] = "zh-hans"
day = (timezone.localdate() - timedelta(days=30)).isoformat()
receipt = str(Verification.objects.values_list("pk", flat=True).order_by("pk").first()).upper()
PAGES = [
    ("verification log, first page", "/admin/licences/verification/", {}),
    ("verification log, page 50", "/admin/licences/verification/", {"p": "50"}),
    ("verification log, invalid (expired) only", "/admin/licences/verification/", {"reason": "expired"}),
    ("verification log, one day", "/admin/licences/verification/", {"day": day}),
    ("verification log, search a receipt id", "/admin/licences/verification/", {"q": receipt}),
    ("audit log, first page", "/admin/accounts/auditentry/", {}),
    ("audit log, one day", "/admin/accounts/auditentry/", {"day": day}),
]
verifications, audit = admin.site._registry[Verification], admin.site._registry[AuditEntry]
SHAPE = ("paginator", "show_full_result_count", "show_facets", "list_filter", "date_hierarchy", "search_ids")
portal = {name: getattr(verifications, name) for name in (*SHAPE, "list_select_related")}
portal_audit = {name: getattr(audit, name) for name in SHAPE}


def django_defaults():
    for model_admin, field, filters in ((verifications, "checked_at", verifications.list_filter[1:]),
                                        (audit, "at", [])):
        model_admin.paginator, model_admin.show_full_result_count = Paginator, True
        model_admin.show_facets, model_admin.date_hierarchy = admin.ShowFacets.ALLOW, field
        model_admin.list_filter = list(filters)
        model_admin.search_ids = ()  # a search is Django's: a substring of the search fields
    verifications.list_select_related = False


def portal_defaults():
    for name, value in portal.items():
        setattr(verifications, name, value)
    for name, value in portal_audit.items():
        setattr(audit, name, value)


def day_params(path, params):
    if "day" not in params:
        return params
    field = "checked_at" if "verification" in path else "at"
    if verifications.date_hierarchy:  # Django's: the date hierarchy's year, month and day
        year, month, number = params["day"].split("-")
        return {f"{field}__year": year, f"{field}__month": str(int(month)), f"{field}__day": str(int(number))}
    return {f"{field}__from": params["day"], f"{field}__to": params["day"]}


results, found = {}, {}
for label, configure in (("Django's defaults", django_defaults), ("portal", portal_defaults)):
    configure()
    for name, path, params in PAGES:
        times, queries, status = [], 0, 0
        for _ in range(repeat):
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                response = client.get(path, day_params(path, params))
                times.append((time.perf_counter() - started) * 1000)
            queries, status = len(captured.captured_queries), response.status_code
        results[(label, name)] = (statistics.median(times), queries, status)
        if "q" in params:  # whether the page lists the check searched for
            found[label] = f"/verification/{receipt.lower()}/change/" in response.content.decode()
print(f"{'page':<44} {'Django defaults':>22} {'portal':>22}")
for name, _path, _params in PAGES:
    cells = []
    for label in ("Django's defaults", "portal"):
        ms, queries, status = results[(label, name)]
        cells.append(f"{ms:8.0f} ms {queries:3d} q" + ("" if status == 200 else f" ({status})"))
    print(f"{name:<44} {cells[0]:>22} {cells[1]:>22}")
print("the receipt id searched for, listed: " + ", ".join(f"{k}: {'yes' if v else 'no'}" for k, v in found.items()))
print("slowest page, Django defaults / portal: "
      f"{max(v[0] for k, v in results.items() if k[0] != 'portal'):.0f} ms / "
      f"{max(v[0] for k, v in results.items() if k[0] == 'portal'):.0f} ms")
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows in the verification log and in the audit log")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    env = production_env(fresh_database(DB), ALLOWED_HOSTS="testserver")

    def manage(*arguments):
        done = subprocess.run([PY, "manage.py", *arguments], cwd=ROOT, env=env, capture_output=True, text=True)
        if done.returncode:
            sys.exit(f"manage.py {arguments[0]} failed:\n{done.stderr[-3000:]}")
        return done.stdout

    manage("migrate", "--noinput")
    manage("collectstatic", "--noinput")  # production settings serve hashed static names
    staff_id = manage("shell", "--no-imports", "-c", FILL.replace("ROWS", str(args.rows))).strip().splitlines()[-1]
    print(f"PostgreSQL, {args.rows:,} verifications and {args.rows:,} audit entries (ANALYZEd); "
          f"each page {args.repeat} times in-process, median; q = queries")  # fmt: skip
    script = MEASURE.replace("STAFF_ID", staff_id).replace("REPEAT", str(args.repeat))
    print(manage("shell", "--no-imports", "-c", script), end="")


if __name__ == "__main__":
    main()
