"""A3 organisation accounts and A4 driving-school pre-registration."""

import pytest

from conftest import make_organisation, make_person, new_id_number, new_phone, new_uscc
from portal.accounts import sms
from portal.accounts.models import Organisation, OrganisationKind, OrganisationStatus, RegisteredVia, User

pytestmark = pytest.mark.django_db


def create_org(api, user, **overrides):
    api.force_authenticate(user)
    body = {
        "name": "示范保险公司",
        "uscc": new_uscc(),
        "kind": "insurer",
        "contact_name": "联系人",
        "contact_phone": new_phone(),
        **overrides,
    }
    return api.post("/api/v1/organisations", body, format="json")


def test_create_organisation_makes_caller_first_member_pending(api, citizen):
    response = create_org(api, citizen)
    assert response.status_code == 201, response.content
    assert response.json()["status"] == "pending"
    citizen.refresh_from_db()
    assert str(citizen.organisation_id) == response.json()["id"]
    me = api.get("/api/v1/accounts/me").json()
    assert me["organisation"]["status"] == "pending"


def test_bad_uscc_checksum_is_refused(api, citizen):
    good = new_uscc()
    bad = good[:-1] + ("1" if good[-1] != "1" else "2")
    response = create_org(api, citizen, uscc=bad)
    assert response.status_code == 400 and response.json()["code"] == "invalid_uscc"
    assert Organisation.objects.count() == 0


def test_duplicate_uscc_and_second_organisation_are_refused(api, citizen, outsider):
    uscc = new_uscc()
    assert create_org(api, citizen, uscc=uscc).status_code == 201
    assert create_org(api, outsider, uscc=uscc).json()["code"] == "organisation_exists"
    assert create_org(api, citizen).json()["code"] == "already_member"
    assert Organisation.objects.count() == 1


def test_clerk_approves_and_contact_is_told(api, citizen, clerk, django_capture_on_commit_callbacks):
    org_id = create_org(api, citizen).json()["id"]
    api.force_authenticate(clerk)
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(f"/api/v1/staff/organisations/{org_id}/approve")
    assert response.status_code == 200 and response.json()["status"] == "approved"
    assert Organisation.objects.get(pk=org_id).decided_by == clerk
    assert len(sms.outbox) == 1
    # Approving again changes nothing and sends nothing.
    with django_capture_on_commit_callbacks(execute=True):
        assert api.post(f"/api/v1/staff/organisations/{org_id}/approve").status_code == 200
    assert len(sms.outbox) == 1


def test_citizen_cannot_approve_an_organisation(api, citizen, outsider):
    org_id = create_org(api, citizen).json()["id"]
    api.force_authenticate(outsider)
    response = api.post(f"/api/v1/staff/organisations/{org_id}/approve")
    assert response.status_code == 403
    assert Organisation.objects.get(pk=org_id).status == OrganisationStatus.PENDING


def test_approving_unknown_organisation_is_404(api, clerk):
    api.force_authenticate(clerk)
    response = api.post("/api/v1/staff/organisations/00000000-0000-0000-0000-000000000000/approve")
    assert response.status_code == 404 and response.json()["code"] == "not_found"


def test_admin_action_approves_through_the_service(client, clerk, citizen):
    pending = make_organisation(OrganisationKind.EMPLOYER, approved=False)
    client.force_login(clerk)
    response = client.post(
        "/admin/accounts/organisation/", {"action": "approve", "_selected_action": [str(pending.pk)]}
    )
    assert response.status_code == 302
    pending.refresh_from_db()
    assert pending.status == OrganisationStatus.APPROVED and pending.decided_by == clerk


CSV = (
    "id_number,name,phone\n"
    "{good1},孙一,{p1}\n"
    "{badsum},孙二,{p2}\n"
    "{good2},孙三,not-a-phone\n"
    "{existing},孙四,{p3}\n"
    "{good3},孙五,{p4}\n"
)


def test_students_csv_imports_good_rows_and_reports_broken_ones(api, school_member, citizen):
    good = [new_id_number() for _ in range(3)]
    badsum = good[0][:-1] + ("0" if good[0][-1] != "0" else "1")
    text = CSV.format(
        good1=good[0],
        good2=good[1],
        good3=good[2],
        badsum=badsum,
        existing=citizen.id_number,
        p1=new_phone(),
        p2=new_phone(),
        p3=new_phone(),
        p4=new_phone(),
    )
    api.force_authenticate(school_member)
    upload = __import__("io").BytesIO(text.encode("utf-8-sig"))
    upload.name = "students.csv"
    response = api.post(
        f"/api/v1/organisations/{school_member.organisation_id}/students", {"file": upload}, format="multipart"
    )
    assert response.status_code == 200, response.content
    results = response.json()["results"]
    assert [r["status"] for r in results] == ["created", "error", "error", "already_registered", "created"]
    assert results[1]["code"] == "invalid_id_number" and results[2]["code"] == "invalid_phone"
    assert all(len(r["activation_code"]) == 11 for r in results if r["status"] == "created")
    assert "activation_code" not in results[3] and citizen.name not in str(results[3])
    students = User.objects.filter(registered_via=RegisteredVia.DRIVING_SCHOOL)
    assert students.count() == 2 and not any(s.is_active or s.has_usable_password() for s in students)
    # The school sees its students, masked.
    listed = api.get(f"/api/v1/organisations/{school_member.organisation_id}/students").json()
    assert {s["name"] for s in listed} == {"孙一", "孙五"}
    assert all("*" in s["id_number_masked"] for s in listed)


def test_students_json_list(api, school_member):
    api.force_authenticate(school_member)
    rows = [{"id_number": new_id_number(), "name": "周六", "phone": new_phone()}, {"name": "缺号码"}]
    response = api.post(f"/api/v1/organisations/{school_member.organisation_id}/students", rows, format="json")
    assert [r["status"] for r in response.json()["results"]] == ["created", "error"]


def test_csv_without_required_columns_is_refused(api, school_member):
    api.force_authenticate(school_member)
    upload = __import__("io").BytesIO(b"name,phone\nfoo,13900000000\n")
    upload.name = "x.csv"
    response = api.post(
        f"/api/v1/organisations/{school_member.organisation_id}/students", {"file": upload}, format="multipart"
    )
    assert response.status_code == 400 and response.json()["code"] == "invalid_csv"
    assert User.objects.count() == 1


def test_one_organisation_cannot_read_or_write_anothers_students(api, school_member):
    other_school = make_organisation(OrganisationKind.DRIVING_SCHOOL)
    other_member = make_person(organisation=other_school)
    api.force_authenticate(other_member)
    url = f"/api/v1/organisations/{school_member.organisation_id}/students"
    assert api.get(url).status_code == 404
    rows = [{"id_number": new_id_number(), "name": "周六", "phone": new_phone()}]
    assert api.post(url, rows, format="json").status_code == 404
    assert User.objects.filter(registered_via=RegisteredVia.DRIVING_SCHOOL).count() == 0


def test_non_school_and_unapproved_school_cannot_preregister(api):
    insurer_member = make_person(organisation=make_organisation(OrganisationKind.INSURER))
    api.force_authenticate(insurer_member)
    rows = [{"id_number": new_id_number(), "name": "周六", "phone": new_phone()}]
    response = api.post(f"/api/v1/organisations/{insurer_member.organisation_id}/students", rows, format="json")
    assert response.status_code == 403 and response.json()["code"] == "not_a_driving_school"
    pending_member = make_person(organisation=make_organisation(OrganisationKind.DRIVING_SCHOOL, approved=False))
    api.force_authenticate(pending_member)
    response = api.post(f"/api/v1/organisations/{pending_member.organisation_id}/students", rows, format="json")
    assert response.status_code == 403 and response.json()["code"] == "organisation_not_approved"


def test_student_activates_with_code(api, school_member):
    api.force_authenticate(school_member)
    id_number = new_id_number()
    rows = [{"id_number": id_number, "name": "吴七", "phone": new_phone()}]
    code = api.post(f"/api/v1/organisations/{school_member.organisation_id}/students", rows, format="json").json()[
        "results"
    ][0]["activation_code"]
    api.force_authenticate(None)
    done = api.post(
        "/api/v1/accounts/activate",
        {"id_number": id_number, "activation_code": code, "password": "student-pass-12123"},
        format="json",
    )
    assert done.status_code == 200
    student = User.objects.get(name="吴七")
    assert student.is_active and student.real_name_status == "face_required"  # the school did not check a face


def test_organisation_pages(client, school_member, outsider):
    client.force_login(school_member)
    page = client.get("/accounts/organisation/")
    assert page.status_code == 200 and school_member.organisation.name in page.content.decode()
    upload = __import__("io").BytesIO(f"身份证号,姓名,手机号\n{new_id_number()},郑八,{new_phone()}\n".encode())
    upload.name = "s.csv"
    imported = client.post("/accounts/organisation/", {"file": upload})
    assert imported.status_code == 200 and "import-results" in imported.content.decode()
    assert User.objects.filter(name="郑八").exists()
    client.force_login(outsider)
    assert client.get("/accounts/organisation/").status_code == 404
    created = client.post(
        "/accounts/organisation/new/",
        {
            "name": "示范租车",
            "uscc": new_uscc(),
            "kind": "car_rental",
            "contact_name": "李四",
            "contact_phone": new_phone(),
        },
    )
    assert created.status_code == 302
    assert Organisation.objects.get(name="示范租车").status == OrganisationStatus.PENDING


def test_a_non_school_posting_students_gets_its_page_back_with_the_reason(client, insurer_member):
    client.force_login(insurer_member)
    upload = __import__("io").BytesIO(f"id_number,name,phone\n{new_id_number()},郑八,{new_phone()}\n".encode())
    upload.name = "s.csv"
    page = client.post("/accounts/organisation/", {"file": upload})
    assert page.status_code == 200 and page.context["form"].domain_error_code == "not_a_driving_school"
    assert not User.objects.filter(name="郑八").exists()
