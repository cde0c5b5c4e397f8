from celery import shared_task

from licences import services


@shared_task(acks_late=True)
def expire_elicences() -> int:
    """Daily: invalidate e-licences whose licence validity ended. Running it twice changes nothing."""
    return services.elicences_expire()
