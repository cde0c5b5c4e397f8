"""Enqueue Celery tasks from services, only once the surrounding transaction has committed."""

from django.db import transaction


def enqueue_on_commit(task_name: str, *args) -> None:
    """Run `task_name(*args)` in a worker after commit; nothing is sent when the transaction rolls back.

    Tasks are named, not imported: the tasks modules call services, so services importing tasks
    would make a cycle.
    """
    from celery import current_app

    transaction.on_commit(lambda: current_app.tasks[task_name].delay(*args))
