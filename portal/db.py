"""Database helpers shared by the apps."""

from contextlib import nullcontext

from django.db import transaction


def savepoint_if_in_transaction(using: str | None = None):
    """Around one INSERT that may fail on a unique key and be handled (a code already taken, a row a
    concurrent request made first): a savepoint when the caller holds a transaction open, which the
    failed INSERT would otherwise spoil; nothing in autocommit, where the failed INSERT is rolled back
    alone. `transaction.atomic()` there would open a transaction of its own: BEGIN and COMMIT, two round
    trips more. One statement only: several that must stand or fall together need `atomic()`."""
    return transaction.atomic(using=using) if transaction.get_connection(using).in_atomic_block else nullcontext()
