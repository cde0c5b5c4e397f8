"""Messages to people (SMS, e-mail) go through an outbox row and a Celery task.

The task gets the row's id only: phone numbers and codes never appear in task arguments.
"""

from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from portal.accounts import sms
from portal.accounts.models import MessageChannel, MessageStatus, OutboundMessage


def message_send(*, channel: str, recipient: str, text: str, user=None, subject: str = "") -> OutboundMessage:
    message = OutboundMessage.objects.create(
        channel=channel, recipient=recipient, text=text, user=user, subject=subject
    )
    from portal.accounts.tasks import deliver_message

    transaction.on_commit(lambda: deliver_message.delay(str(message.pk)))
    return message


def message_deliver(*, message_id: str) -> bool:
    """Send one pending message. Idempotent: a second run (or a second worker) sends nothing."""
    claimed = OutboundMessage.objects.filter(pk=message_id, status=MessageStatus.PENDING).update(
        status=MessageStatus.SENDING
    )
    if claimed != 1:
        return False
    message = OutboundMessage.objects.get(pk=message_id)
    try:
        if message.channel == MessageChannel.SMS:
            sms.get_backend().send(to=message.recipient, text=message.text)
        else:
            send_mail(message.subject, message.text, None, [message.recipient])
    except Exception as exc:  # a gateway failure must not lose the message silently
        OutboundMessage.objects.filter(pk=message_id).update(status=MessageStatus.FAILED, error=str(exc)[:200])
        raise
    OutboundMessage.objects.filter(pk=message_id).update(status=MessageStatus.SENT, sent_at=timezone.now())
    return True
