"""Staff-console edits go through services: they are checked, saved and audited, or refused on the form."""

import pytest
from django.contrib.auth.models import Group

from conftest import make_organisation, make_person, make_staff
from portal.accounts.models import AuditEntry, Organisation, User

pytestmark = pytest.mark.django_db


def _superuser() -> User:
    admin = make_staff("supervisor")
    User.objects.filter(pk=admin.pk).update(is_superuser=True)
    admin.refresh_from_db()
    return admin


def test_organisation_edit_is_checked_and_audited(client, clerk):
    organisation = make_organisation("insurer")
    client.force_login(clerk)
    url = f"/admin/accounts/organisation/{organisation.pk}/change/"
    form = {"name": "  改名  保险公司 ", "uscc": organisation.uscc, "kind": "insurer", "contact_name": "联系人"}
    assert client.post(url, form).status_code == 302
    organisation.refresh_from_db()
    assert organisation.name == "改名 保险公司"  # normalised by the service's rules
    entry = AuditEntry.objects.get(action="organisation.updated")
    assert entry.actor == clerk and entry.data == {"changed": ["name"], "kind": None}
    assert organisation.status == "approved"


def test_a_kind_change_needs_approval_again(client, clerk):
    organisation = make_organisation("insurer")
    member = make_person(organisation=organisation)
    client.force_login(clerk)
    url = f"/admin/accounts/organisation/{organisation.pk}/change/"
    form = {"name": organisation.name, "uscc": organisation.uscc, "kind": "police", "contact_name": "联系人"}
    assert client.post(url, form).status_code == 302
    organisation.refresh_from_db()
    assert organisation.kind == "police" and organisation.status == "pending" and organisation.decided_at is None
    entry = AuditEntry.objects.get(action="organisation.updated")
    assert entry.data == {"changed": ["kind"], "kind": ["insurer", "police"]}
    member.refresh_from_db()
    assert not member.organisation.is_approved  # its members verify anonymously until approved again


def test_organisation_edit_with_a_bad_credit_code_is_refused_on_the_form(client, clerk):
    organisation = make_organisation("insurer")
    client.force_login(clerk)
    url = f"/admin/accounts/organisation/{organisation.pk}/change/"
    form = {"name": organisation.name, "uscc": "91110000MA0000000X", "kind": "insurer", "contact_name": "联系人"}
    page = client.post(url, form)
    assert page.status_code == 200 and "errorlist" in page.content.decode()
    assert Organisation.objects.get(pk=organisation.pk).uscc == organisation.uscc
    assert not AuditEntry.objects.filter(action="organisation.updated").exists()


def test_staff_edit_of_an_account_and_its_roles_is_audited(client):
    admin = _superuser()
    person = make_person(name="赵六")
    client.force_login(admin)
    reviewer_group = Group.objects.get(name="reviewer")
    form = {
        "username": person.username,
        "kind": "staff",
        "name": "赵六",
        "is_active": "on",
        "is_staff": "on",
        "groups": [reviewer_group.pk],
        "date_joined_0": "2026-11-01",
        "date_joined_1": "10:00:00",
    }
    response = client.post(f"/admin/accounts/user/{person.pk}/change/", form)
    assert response.status_code == 302, response.content.decode()[:2000]
    person.refresh_from_db()
    assert person.kind == "staff" and person.has_role("reviewer")
    updated = AuditEntry.objects.get(action="account.updated_by_staff", object_id=str(person.pk))
    assert set(updated.data["changed"]) == {"kind", "is_staff"}
    roles = AuditEntry.objects.get(action="account.roles_changed", object_id=str(person.pk))
    assert roles.data == {"roles": ["reviewer"]} and roles.actor == admin


def test_accounts_and_organisations_are_not_deleted_from_the_console(client):
    admin = _superuser()
    person, organisation = make_person(), make_organisation("police")
    client.force_login(admin)
    assert client.post(f"/admin/accounts/user/{person.pk}/delete/", {"post": "yes"}).status_code == 403
    assert client.post(f"/admin/accounts/organisation/{organisation.pk}/delete/", {"post": "yes"}).status_code == 403
    assert User.objects.filter(pk=person.pk).exists() and Organisation.objects.filter(pk=organisation.pk).exists()


def test_schedule_changes_by_supervisors_are_audited(client, supervisor):
    from django_celery_beat.models import PeriodicTask

    task = PeriodicTask.objects.get(task="portal.accounts.tasks.purge_expired")
    client.force_login(supervisor)
    response = client.post(
        "/admin/django_celery_beat/periodictask/", {"action": "disable_tasks", "_selected_action": [str(task.pk)]}
    )
    assert response.status_code == 302
    task.refresh_from_db()
    assert task.enabled is False
    entry = AuditEntry.objects.get(action="schedule.changed", object_id=str(task.pk))
    assert entry.actor == supervisor and entry.data == {"name": task.name, "enabled": False}
    ran = client.post(
        "/admin/django_celery_beat/periodictask/", {"action": "run_tasks", "_selected_action": [str(task.pk)]}
    )
    assert ran.status_code == 302 and AuditEntry.objects.filter(action="schedule.run_now", actor=supervisor).exists()
