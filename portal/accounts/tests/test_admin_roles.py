"""Staff roles (groups made by a migration) and what each sees in the admin console."""

import pytest
from django.contrib.auth.models import Group
from django_celery_beat.models import PeriodicTask

from conftest import make_organisation

pytestmark = pytest.mark.django_db


def test_roles_exist_after_migrate():
    assert set(Group.objects.values_list("name", flat=True)) >= {"counter_clerk", "reviewer", "supervisor"}


def test_housekeeping_schedule_is_installed_and_visible():
    task = PeriodicTask.objects.get(task="portal.accounts.tasks.purge_expired")
    assert task.enabled and task.interval.every == 1


@pytest.mark.parametrize(
    ("role", "url", "status"),
    [
        ("counter_clerk", "/admin/accounts/user/", 200),
        ("counter_clerk", "/admin/accounts/organisation/", 200),
        ("counter_clerk", "/admin/accounts/auditentry/", 403),
        ("reviewer", "/admin/accounts/user/", 200),
        ("reviewer", "/admin/accounts/organisation/", 403),
        ("supervisor", "/admin/accounts/auditentry/", 200),
        ("supervisor", "/admin/django_celery_beat/periodictask/", 200),
    ],
)
def test_admin_pages_by_role(client, role, url, status):
    from conftest import make_staff

    client.force_login(make_staff(role))
    assert client.get(url).status_code == status


def test_citizen_is_kept_out_of_the_admin(client, citizen):
    client.force_login(citizen)
    assert client.get("/admin/accounts/user/").status_code == 302


def test_organisation_list_filters_and_search(client, clerk):
    pending = make_organisation("insurer", approved=False)
    make_organisation("police")
    client.force_login(clerk)
    page = client.get("/admin/accounts/organisation/", {"status__exact": "pending"}).content.decode()
    assert pending.name in page
    found = client.get("/admin/accounts/organisation/", {"q": pending.uscc}).content.decode()
    assert pending.name in found
