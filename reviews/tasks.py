from celery import shared_task

from reviews import services


@shared_task(acks_late=True)
def approve_due() -> dict:
    """The beat's auto-approval pass (R3); `manage.py approve_due` runs the same service."""
    return services.applications_approve_due()


@shared_task(acks_late=True)
def check_photo(photo_id: str) -> str | None:
    """Run the photo checker on one uploaded photo (R5). Running it twice changes nothing."""
    return services.photo_check_run(photo_id=photo_id)


@shared_task(acks_late=True)
def purge_rejected_photos() -> int:
    """Daily: rejected photos are kept only PHOTO_RETENTION_DAYS (security.md)."""
    return services.photos_purge_rejected()


@shared_task
def recheck_waiting_photos() -> int:
    """Every 15 minutes: photos whose check task was lost (broker down at upload) are queued again."""
    return services.photos_recheck_waiting()
