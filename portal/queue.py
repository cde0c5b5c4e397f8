"""Enqueue Celery tasks from services, only once the surrounding transaction has committed."""

import logging

from django.db import transaction

log = logging.getLogger(__name__)


def enqueue_on_commit(task_name: str, *args) -> None:
    """Run `task_name(*args)` in a worker after commit; nothing is sent when the transaction rolls back.

    Tasks are named, not imported: the tasks modules call services, so services importing tasks
    would make a cycle. When the broker cannot be reached (restarting, say), the committed work
    stands and the caller gets its answer: the row the task was for stays waiting, and the
    housekeeping sweeps (`message_resend_waiting`, `photos_recheck_waiting`) enqueue it again.
    """
    from celery import current_app

    def send() -> None:
        try:
            current_app.tasks[task_name].delay(*args)
        except Exception as exc:  # kombu's OperationalError and the transport's own errors
            log.warning("task %s not enqueued (%s); the housekeeping sweep will retry", task_name, type(exc).__name__)

    transaction.on_commit(send)
