"""Messages to people go through an outbox row and a Celery task.

The task gets the row's id only: phone numbers and codes never appear in task arguments.
"""

import logging
import time
from datetime import timedelta

from django.conf import settings
from django.db import InterfaceError, OperationalError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from portal.accounts import sms
from portal.accounts.models import MessageStatus, OutboundMessage
from portal.queue import enqueue_on_commit

log = logging.getLogger(__name__)


def message_send(*, recipient: str, text: str, user=None) -> OutboundMessage:
    """Queue one SMS; the worker sends it once the surrounding transaction has committed."""
    message = OutboundMessage.objects.create(recipient=recipient, text=text, user=user)
    enqueue_on_commit("portal.accounts.tasks.deliver_message", str(message.pk))
    return message


def message_deliver(*, message_id: str) -> bool:
    """Send one pending message. Idempotent: a second run (or a second worker) sends nothing.

    The claim (pending → sending) and the read of the text commit together, so a database failure
    before the gateway is called leaves the message pending (the sweep sends it later), never
    claimed and unsent. After the gateway accepted it, recording `sent` is retried through a short
    database outage; a message is never sent twice.
    """
    with transaction.atomic():
        message = OutboundMessage.objects.filter(pk=message_id, status=MessageStatus.PENDING).first()
        claimed = message is not None and OutboundMessage.objects.filter(
            pk=message_id, status=MessageStatus.PENDING
        ).update(status=MessageStatus.SENDING, sending_since=timezone.now())
    if not claimed:
        return False
    try:
        sms.get_backend().send(to=message.recipient, text=message.text)
    except Exception as exc:  # a gateway failure must not lose the message silently
        OutboundMessage.objects.filter(pk=message_id).update(status=MessageStatus.FAILED, error=str(exc)[:200])
        raise
    _record(message_id, status=MessageStatus.SENT, sent_at=timezone.now())
    return True


def _record(message_id: str, *, attempts: int = 30, **fields) -> None:
    """Write the outcome of a send that happened, through a database restart of up to ~30 s."""
    for attempt in range(attempts):
        try:
            OutboundMessage.objects.filter(pk=message_id).update(**fields)
            return
        except (OperationalError, InterfaceError):
            if attempt == attempts - 1:
                log.error("message %s was sent but could not be recorded as sent", message_id)
                raise
            connection.close()
            time.sleep(1)


def message_resend_waiting(*, now=None, batch: int = 500) -> int:
    """Enqueue the delivery of every message left waiting longer than MESSAGE_RESEND_AFTER seconds.

    Such a message lost its task (the broker was down when it was enqueued, or its queue was lost).
    Sending stays at most once: the claim in message_deliver lets only one task send it. Returns how many.
    """
    cutoff = (now or timezone.now()) - timedelta(seconds=settings.MESSAGE_RESEND_AFTER)
    ids = [
        str(pk)
        for pk in OutboundMessage.objects.filter(status=MessageStatus.PENDING, created_at__lt=cutoff).values_list(
            "pk", flat=True
        )
    ]
    for start in range(0, len(ids), batch):
        enqueue_on_commit("portal.accounts.tasks.deliver_messages", ids[start : start + batch])
    return len(ids)


def message_mark_stalled(*, now=None) -> int:
    """Mark `unknown` every message still `sending` MESSAGE_SEND_TIMEOUT seconds after its claim: its
    worker stopped between the claim and recording the gateway's answer (killed, host lost), so whether
    it went out is not known. It is not sent again (at most once) and no longer shows as in progress.
    A worker that was only slow still records `sent` when it gets there. Returns how many."""
    cutoff = (now or timezone.now()) - timedelta(seconds=settings.MESSAGE_SEND_TIMEOUT)
    stalled = OutboundMessage.objects.filter(
        Q(sending_since__lt=cutoff) | Q(sending_since__isnull=True, created_at__lt=cutoff),  # claimed before 0008
        status=MessageStatus.SENDING,
    )
    count = stalled.update(status=MessageStatus.UNKNOWN)
    if count:
        log.warning("%d messages stopped while sending: marked unknown, not sent again", count)
    return count
