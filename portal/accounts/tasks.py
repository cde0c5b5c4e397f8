from celery import shared_task

from portal import ratelimit
from portal.accounts import services
from portal.accounts.messaging import message_deliver


@shared_task(acks_late=True)
def deliver_message(message_id: str) -> bool:
    return message_deliver(message_id=message_id)


@shared_task
def purge_expired() -> dict:
    """Hourly housekeeping: spent one-time codes and old rate-limit windows."""
    return {"codes": services.one_time_codes_purge(), "rate_counters": ratelimit.purge_expired()}
