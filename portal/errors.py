"""The one domain error type: services raise it, pages show it as a message, the API as JSON."""

from django.utils.functional import Promise
from django.utils.translation import gettext as _


class DomainError(Exception):
    status = 400

    def __init__(self, code: str, detail: str | Promise, *, status: int | None = None, fields: dict | None = None):
        super().__init__(code)
        self.code = code
        self.detail = detail
        self.fields = fields or {}
        if status is not None:
            self.status = status

    def __str__(self) -> str:
        return str(self.detail)


class NotFoundError(DomainError):
    status = 404


class RateLimited(DomainError):
    status = 429
    retry_after = 0  # seconds until the limit lifts (Retry-After; the pages count down)


class Unavailable(DomainError):
    """A service the request needs did not answer (the shared cache, the database): nothing was done."""

    status = 503
    retry_after = 5


def service_busy() -> Unavailable:
    """What a request answers when a service it needs (the shared cache, the database) did not answer."""
    return Unavailable("unavailable", _("The service is busy. Please try again in a moment."))
