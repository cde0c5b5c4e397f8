"""A request id that follows a request into the logs and into the Celery tasks it enqueues (issue 13).

The web node takes the balancer's `X-Request-ID` when it is a plain token (letters, digits, `.`,
`_`, `-`; 8–64 characters), else makes one, and sends it back in the response. Every log record
carries it as `request_id`; a task published while it is set carries it in its message headers, and
the worker sets it again while the task runs. It is an opaque token: never personal data.
"""

from __future__ import annotations

import contextvars
import logging
import re
import uuid

HEADER = "X-Request-ID"
_FORMAT = re.compile(r"[A-Za-z0-9._-]{8,64}")
_current: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)


def current() -> str | None:
    return _current.get()


def accepted(value: str | None) -> str:
    """The caller's id if it is a plain token, else a new one."""
    return value if value and _FORMAT.fullmatch(value) else uuid.uuid4().hex


class RequestIdMiddleware:
    """First in the stack: everything logged while the request runs carries its id."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = accepted(request.headers.get(HEADER))
        request.request_id = request_id
        token = _current.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            _current.reset(token)
        response.headers[HEADER] = request_id
        return response


class RequestIdFilter(logging.Filter):
    """Adds `request_id` to every record ("-" outside a request or a task)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = _current.get() or "-"
        return True


# --- Celery: the id rides in the task message's headers -------------------------------------------
def task_publishing(headers=None, **_kwargs) -> None:
    """before_task_publish: put the current id into the message (an id already there is kept)."""
    request_id = _current.get()
    if request_id and headers is not None:
        headers.setdefault("request_id", request_id)


def task_starting(task=None, **_kwargs) -> None:
    """task_prerun: the message's id is the current one while the task runs."""
    request = getattr(task, "request", None)
    request_id = getattr(request, "request_id", None) or (getattr(request, "headers", None) or {}).get("request_id")
    _current.set(accepted(request_id) if request_id else None)


def task_finished(**_kwargs) -> None:
    """task_postrun: no id leaks into the next task of the same worker process."""
    _current.set(None)
