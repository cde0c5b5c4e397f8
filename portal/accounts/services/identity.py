"""The identity register (A1): ID-card photos pushed by the authority's system, the face step's reference."""

from django.core.files.base import ContentFile
from django.db import transaction

from portal.accounts.audit import audit_record
from portal.accounts.models import IdentityPhoto
from portal.accounts.validators import clean_id_number
from portal.crypto import lookup_hash
from portal.images import decode_image
from portal.masking import mask_id_number


def identity_photo_set(*, actor, id_number: str, photo: bytes, ip: str | None = None) -> tuple[IdentityPhoto, bool]:
    """Store (or replace) the register's photo of one person; only its pixels are kept."""
    number = clean_id_number(id_number)
    image = decode_image(photo)
    with transaction.atomic():
        record = IdentityPhoto.objects.select_for_update().filter(id_number_hash=lookup_hash(number)).first()
        created = record is None
        if created:
            record = IdentityPhoto(id_number_hash=lookup_hash(number), id_number_masked=mask_id_number(number))
        replaced = record.photo.name if not created else ""
        record.photo.save("identity.jpg", ContentFile(image.jpeg), save=False)
        record.save()
        if replaced:
            transaction.on_commit(lambda: record.photo.storage.delete(replaced))
        data = {"id_number": record.id_number_masked, "created": created}
        audit_record(actor=actor, action="identity_photo.set", obj=record, data=data, ip=ip)
    return record, created
