"""Fixed-window rate limits on an atomic, shared counter.

DRF throttling is not a security control (concurrent requests slip through). Here the counter is
either in the shared cache (RATE_LIMIT_STORE=cache, Redis in production: one atomic INCR on a key
that expires with its window, in one Lua script call) or in the database (the default without a
shared cache): one conditional UPDATE (`count < limit`), atomic on SQLite and PostgreSQL; 0 rows
updated means the limit is reached. Both are shared by every web process. `counting` is `hit` for a
caller with work to do that needs no database (a verification's signature check): Redis counts while it
runs.
"""

import functools
import ipaddress
import os
import threading
import time
from contextlib import contextmanager, suppress

from django.conf import settings
from django.db import IntegrityError
from django.db.models import F
from django.utils.translation import ngettext

from portal.crypto import lookup_hash
from portal.db import savepoint_if_in_transaction
from portal.errors import RateLimited, service_busy
from portal.models import RateCounter


def _key(scope: str, identifier: str) -> tuple[str, int, int, int]:
    """The counter's key (hashed, so that no phone or ID number is stored in it), window, limit and period."""
    limit, period = settings.RATE_LIMITS[scope]
    window = int(time.time()) // period * period
    return f"{scope}:{lookup_hash(identifier, purpose='ratelimit')[:48]}", window, limit, period


def _cache_key(key: str, window: int) -> str:
    return f"rate:{key}:{window}"


def hit(scope: str, identifier: str) -> None:
    """Count one attempt for `identifier` in `scope`; raise RateLimited once over the limit."""
    key, window, limit, period = _key(scope, identifier)
    if settings.RATE_LIMIT_STORE == "cache":
        if _cache_hit(_cache_key(key, window), limit, period):
            return
        _refuse(window, period)
    if RateCounter.objects.filter(key=key, window=window, count__lt=limit).update(count=F("count") + 1):
        return
    try:
        with savepoint_if_in_transaction():
            RateCounter.objects.create(key=key, window=window, count=1)
        return
    except IntegrityError:
        pass  # the row exists: either a concurrent first hit (retry once) or the limit is reached
    if RateCounter.objects.filter(key=key, window=window, count__lt=limit).update(count=F("count") + 1):
        return
    _refuse(window, period)


@functools.lru_cache(maxsize=4)
def _redis(url: str, timeout: float):
    """The process's Redis client for `url`: its connection pool, made without connecting. A command
    whose connection turns out closed (a Redis restart, a dropped idle connection) is sent once more
    on a new one: a kept connection is not polled before each use. Connecting and each answer wait
    `timeout` seconds at most (a Redis that hangs does not hold the request), and a timeout is not
    retried."""
    import redis
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    return redis.Redis.from_url(
        url,
        retry=Retry(NoBackoff(), 1, supported_errors=(redis.ConnectionError,)),
        socket_timeout=timeout,
        socket_connect_timeout=timeout,
    )


def _counts_in_redis() -> bool:
    return settings.RATE_LIMIT_STORE == "cache" and bool(settings.CACHE_URL)


def client_warm() -> None:
    """Create the shared cache's client ahead of the first hit (importing redis takes ~0.1 s)."""
    if _counts_in_redis():
        _redis(settings.CACHE_URL, settings.CACHE_TIMEOUT)


# INCR and EXPIRE NX as one command: atomic, and the key lives as long as its window.
_HIT_SCRIPT = "local count = redis.call('INCR', KEYS[1]) redis.call('EXPIRE', KEYS[1], ARGV[1], 'NX') return count"
_threads = threading.local()


def _hit_script(url: str, timeout: float):
    """This thread's hit script, on a connection this thread keeps (taken from the process's pool at its
    first hit): no pool check-out, no socket poll and no pipeline per hit, a fifth of a hit's time inside a
    request. A thread of another process (after a fork) makes its own."""
    if getattr(_threads, "awaiting", False):
        # A count inside `counting`'s block would read that block's reply as its own.
        raise RuntimeError("a rate limit counted in Redis inside the block of ratelimit.counting")
    owner = (url, timeout, os.getpid())
    held = getattr(_threads, "held", None)
    if held is None or held[0] != owner:
        import redis

        client = redis.Redis(connection_pool=_redis(url, timeout).connection_pool, single_connection_client=True)
        held = _threads.held = (owner, client.register_script(_HIT_SCRIPT))
    return held[1]


@contextmanager
def counting(scope: str, identifier: str):
    """`hit`, with Redis's round trip overlapping the block: the attempt is sent to Redis before the
    block runs and its count read after it, then RateLimited is raised if over the limit. The block
    runs before the limit is known: it must only compute (decode, check a signature), never read or
    write the database nor answer. Without Redis the attempt is counted before the block, as `hit`
    counts it. When the connection is found closed, or Redis has forgotten the script, the command did not
    run: it is sent again as `hit` sends it, so the attempt still counts once."""
    if not _counts_in_redis():
        hit(scope, identifier)
        yield
        return
    import redis

    key, window, limit, period = _key(scope, identifier)
    key = _cache_key(key, window)
    try:
        script = _hit_script(settings.CACHE_URL, settings.CACHE_TIMEOUT)  # connects at a thread's first use
    except redis.RedisError as exc:
        raise service_busy() from exc
    connection = script.registered_client.connection
    try:
        connection.send_command("EVALSHA", script.sha, 1, key, period + 1)
        sent = True
    except redis.ConnectionError:  # a connection Redis closed: the script is run below, on a new one
        sent = False
    except redis.RedisError as exc:
        raise service_busy() from exc
    _threads.awaiting = sent
    try:
        yield
    finally:
        # Read even when the block failed: the reply must not be left for this connection's next command.
        _threads.awaiting = False
        count = None
        if sent:
            try:
                with suppress(redis.ConnectionError, redis.exceptions.NoScriptError):
                    count = connection.read_response()
            except redis.RedisError as exc:
                raise service_busy() from exc
        # A connection found closed, or a script Redis forgot: the command did not run; count as `hit` does.
        allowed = _cache_hit(key, limit, period) if count is None else count <= limit
    if not allowed:
        _refuse(window, period)


def _cache_hit(key: str, limit: int, period: int) -> bool:
    """One atomic increment in the shared cache; the key lives as long as its window.

    A cache that cannot be reached or does not answer in CACHE_TIMEOUT refuses the attempt (503 with
    Retry-After): a limit that cannot be counted is not waived."""
    if settings.CACHE_URL:  # Redis: one script call, one round trip, on this thread's connection
        import redis

        try:
            return _hit_script(settings.CACHE_URL, settings.CACHE_TIMEOUT)(keys=[key], args=[period + 1]) <= limit
        except redis.RedisError as exc:
            raise service_busy() from exc
    from django.core.cache import cache

    cache.add(key, 0, timeout=period + 1)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr: this is the first hit of a new window
        cache.add(key, 1, timeout=period + 1)
        count = 1
    return count <= limit


def _refuse(window: int, period: int):
    wait = max(window + period - int(time.time()), 1)
    minutes = -(-wait // 60)
    error = RateLimited(
        "rate_limited",
        ngettext(
            "Too many attempts. Please try again in %(minutes)d minute.",
            "Too many attempts. Please try again in %(minutes)d minutes.",
            minutes,
        )
        % {"minutes": minutes},
    )
    error.retry_after = wait
    raise error


def purge_expired() -> int:
    longest = max(period for _limit, period in settings.RATE_LIMITS.values())
    deleted, _rows = RateCounter.objects.filter(window__lt=int(time.time()) - longest).delete()
    return deleted


def _trusted_proxy(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in settings.TRUSTED_PROXIES)


def client_ip(request) -> str:
    """The client's address: REMOTE_ADDR, unless that is a trusted proxy (TRUSTED_PROXIES); then the
    right-most X-Forwarded-For address that is not itself a trusted proxy. What the client wrote into
    the header itself (to the left) is never believed."""
    peer = request.META.get("REMOTE_ADDR", "") or "unknown"
    if not _trusted_proxy(peer):
        return peer
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    for address in reversed(forwarded):
        if _trusted_proxy(address):
            continue
        try:
            return str(ipaddress.ip_address(address))
        except ValueError:
            return peer  # not an address where the nearest proxy wrote one: fall back to the proxy
    return peer
