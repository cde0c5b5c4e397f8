"""Demo accounts for `seed_demo`: staff of each role, two approved organisations and their members,
the register's machine user and a citizen. Idempotent."""

from pathlib import Path

from django.contrib.auth.models import Group
from django.utils import timezone

from portal.accounts.models import (
    AccountKind,
    Organisation,
    OrganisationKind,
    OrganisationStatus,
    RealNameStatus,
    RegisteredVia,
    User,
)
from portal.accounts.services import identity_photo_set
from portal.accounts.validators import id_number_with_check_digit

ORGANISATIONS = {
    "insurer": ("平安示范财产保险有限公司", "91310000MA1FL0DEM0", OrganisationKind.INSURER),
    "police": ("示范市公安局交通警察支队", "11310000MB0P0L1CE0", OrganisationKind.POLICE),
    "driving_school": ("示范驾驶员培训学校", "52310000MJ0DR1AE00", OrganisationKind.DRIVING_SCHOOL),
}

ACCOUNTS = [
    # role, username, name, kind, staff group, organisation, ID body (17 digits), phone
    ("supervisor", "supervisor", "周主管", AccountKind.STAFF, "supervisor", None, None, None),
    ("reviewer", "reviewer", "吴审核", AccountKind.STAFF, "reviewer", None, None, None),
    ("counter_clerk", "clerk", "郑窗口", AccountKind.STAFF, "counter_clerk", None, None, None),
    ("insurer", "insurer", "王保险", AccountKind.PERSONAL, None, "insurer", "31010119850612031", "13800000002"),
    ("police", "police", "李警官", AccountKind.PERSONAL, None, "police", "31010119800315051", "13800000003"),
    (
        "driving_school",
        "school",
        "赵教练",
        AccountKind.PERSONAL,
        None,
        "driving_school",
        "31010119780101071",
        "13800000004",
    ),
    ("authority", "authority", "", AccountKind.AUTHORITY, None, None, None, None),
    ("citizen", "citizen", "张三", AccountKind.PERSONAL, None, None, "11010519900307123", "13900001234"),
]


def _uscc(first17: str) -> str:
    from stdnum.cn import uscc

    return first17 + uscc.calc_check_digit(first17)


DEMO_PHOTOS = Path(__file__).resolve().parent / "demo_photos"
# The identity register's people (their ID-card photos, by ID body); see demo_photos/SOURCE.md.
IDENTITY_PHOTOS = {"11010519800808081": "identity-photo.jpg", "11010519750202023": "identity-photo-2.jpg"}


def seed_identity_register() -> list[str]:
    """Put the demo people's ID-card photos into the identity register; their masked numbers."""
    seeded = []
    for id_body, filename in IDENTITY_PHOTOS.items():
        record, _created = identity_photo_set(
            actor="seed_demo",
            id_number=id_number_with_check_digit(id_body),
            photo=(DEMO_PHOTOS / filename).read_bytes(),
        )
        seeded.append(record.id_number_masked)
    return seeded


def seed_accounts(*, password: str) -> list[dict]:
    """Create or refresh the demo accounts; their log-ins as `{role, username, password}`."""
    now = timezone.now()
    organisations = {}
    for key, (name, code, kind) in ORGANISATIONS.items():
        uscc = _uscc(code[:17])
        organisation, _created = Organisation.objects.get_or_create(
            uscc=uscc,
            defaults={"name": name, "kind": kind, "contact_name": "联系人", "contact_phone": "13800000009"},
        )
        Organisation.objects.filter(pk=organisation.pk).update(
            status=OrganisationStatus.APPROVED, decided_at=organisation.decided_at or now
        )
        organisations[key] = organisation
    accounts = []
    for role, username, name, kind, group, org_key, id_body, phone in ACCOUNTS:
        user = User.objects.filter(username=username).first() or User(username=username)
        user.kind = kind
        user.name = name
        user.is_active = True
        user.is_staff = kind == AccountKind.STAFF
        if id_body:
            user.id_number = id_number_with_check_digit(id_body)
            user.phone = phone
            user.registered_via = RegisteredVia.COUNTER
            user.in_person_verified_at = user.in_person_verified_at or now
            user.real_name_status = RealNameStatus.VERIFIED
        user.organisation = organisations.get(org_key) if org_key else None
        user.set_password(password)
        user.save()
        if group:
            user.groups.set([Group.objects.get(name=group)])
        accounts.append({"role": role, "username": username, "password": password})
    return accounts
