"""What a web process does once at its start so that its first requests do not (portal/wsgi.py).

A fresh gunicorn worker (at every start, and every `--max-requests` recycle) spent about half a
second on its first requests: the URL configuration imported with every view and its reverse map
built per language (~0.4 s), the Redis client imported at the first rate-limited request (~0.13 s).
Those requests waited behind it; under load, several did (docs/benchmarks.md, the p99 tail). gunicorn
loads the WSGI module in each worker before the worker accepts connections, so the work is done
here instead. Nothing here touches the database: a worker starts while PostgreSQL is down, too.
"""

from django.conf import settings
from django.urls import get_resolver
from django.utils import translation

from portal import ratelimit


def warm() -> None:
    resolver = get_resolver()
    for code, _name in settings.LANGUAGES:
        with translation.override(code):  # each language's catalogue loaded, its reverse map built
            resolver.reverse_dict  # noqa: B018  (imports every URL module and its views)
    ratelimit.client_warm()
