"""API errors are JSON `{"code", "detail"}` (+ `fields` for validation errors), never tracebacks."""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from portal.errors import DomainError


def _first_message(detail) -> str:
    if isinstance(detail, dict):
        for value in detail.values():
            return _first_message(value)
    if isinstance(detail, list) and detail:
        return _first_message(detail[0])
    return str(detail)


def not_found_body() -> dict:
    """The API's answer for anything that is not there (or not the caller's)."""
    return {"code": "not_found", "detail": _("Not found.")}


def domain_error_answer(exc: DomainError) -> tuple[dict, dict]:
    """The API's body for a DomainError, and its headers (Retry-After where the caller should wait)."""
    body = {"code": exc.code, "detail": str(exc.detail)}
    if exc.fields:
        body["fields"] = {k: [str(m) for m in v] if isinstance(v, list) else str(v) for k, v in exc.fields.items()}
    wait = getattr(exc, "retry_after", 0)
    return body, {"Retry-After": str(wait)} if wait else {}


def api_exception_handler(exc, context):
    if isinstance(exc, DomainError):
        body, headers = domain_error_answer(exc)
        return Response(body, status=exc.status, headers=headers or None)
    if isinstance(exc, Http404 | exceptions.NotFound):
        return Response(not_found_body(), status=status.HTTP_404_NOT_FOUND)
    if isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        response.data = {"code": "invalid", "detail": _first_message(exc.detail), "fields": exc.detail}
    else:
        code = getattr(exc, "default_code", "error")
        response.data = {"code": code, "detail": _first_message(response.data.get("detail", exc.detail))}
    return response
