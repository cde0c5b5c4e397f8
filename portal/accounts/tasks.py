import logging

from celery import shared_task

from portal import ratelimit
from portal.accounts import services
from portal.accounts.messaging import message_deliver, message_mark_stalled, message_resend_waiting

log = logging.getLogger(__name__)


@shared_task(acks_late=True)
def deliver_message(message_id: str) -> bool:
    sent = message_deliver(message_id=message_id)
    log.info("message %s %s", message_id, "sent" if sent else "already handled")  # an id, never the number
    return sent


@shared_task
def purge_expired() -> dict:
    """Hourly housekeeping: spent one-time codes and old rate-limit windows."""
    return {"codes": services.one_time_codes_purge(), "rate_counters": ratelimit.purge_expired()}


@shared_task(acks_late=True)
def deliver_messages(message_ids: list[str]) -> int:
    """A batch's messages (auto-approval), one task for the lot; each is sent at most once."""
    sent = 0
    for message_id in message_ids:
        try:
            sent += message_deliver(message_id=message_id)
        except Exception:  # one gateway failure must not hold back the others; it is marked FAILED
            log.exception("message %s not delivered", message_id)
    return sent


@shared_task
def resend_waiting_messages() -> dict:
    """Every minute: messages whose delivery task was lost (broker down when queued) are queued again;
    messages whose worker stopped while sending them are marked unknown."""
    return {"queued": message_resend_waiting(), "unknown": message_mark_stalled()}
