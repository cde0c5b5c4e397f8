from portal.accounts.models import User


def me_payload(user: User) -> dict:
    organisation = user.organisation
    return {
        "id": str(user.pk),
        "name": user.display_name,
        "id_number_masked": user.id_number_masked,
        "phone_masked": user.phone_masked,
        "kind": user.kind,
        "real_name_status": user.real_name_status,
        "roles": sorted(user.groups.values_list("name", flat=True)),
        "organisation": (
            {
                "id": str(organisation.pk),
                "name": organisation.name,
                "kind": organisation.kind,
                "status": organisation.status,
            }
            if organisation
            else None
        ),
    }
