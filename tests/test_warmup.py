"""A web process does its one-off work when it starts (portal/warmup.py), not in its first requests."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

STATE = r"""
import json, sys
import portal.wsgi
from django.urls import get_resolver
from portal import ratelimit
print(json.dumps({
    "reverse_maps": sorted(get_resolver()._reverse_dict),
    "views_imported": all(m in sys.modules for m in ("licences.api", "reviews.views", "portal.accounts.views")),
    "redis_imported": "redis" in sys.modules,
    "redis_clients": ratelimit._redis.cache_info().currsize,
}))
"""


def _start(**env) -> dict:
    # PostgreSQL on a port where nothing listens: starting a worker must not need the database.
    base = {k: v for k, v in os.environ.items() if k not in ("CACHE_URL", "RATE_LIMIT_STORE")}
    result = subprocess.run(
        [sys.executable, "-c", STATE],
        cwd=ROOT,
        env={
            **base,
            "DJANGO_SETTINGS_MODULE": "portal.settings",
            "DATABASE_URL": "postgres://postgres@127.0.0.1:9/none",
            **env,
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_a_web_process_builds_its_url_maps_and_cache_client_before_serving():
    state = _start(CACHE_URL="redis://127.0.0.1:9/0")  # a client is created; nothing connects
    assert state["reverse_maps"] == ["en", "zh-hans"]  # both languages' reverse maps (and catalogues)
    assert state["views_imported"]
    assert state["redis_imported"] and state["redis_clients"] == 1


def test_without_a_shared_cache_no_redis_client_is_made():
    state = _start()
    assert state["reverse_maps"] == ["en", "zh-hans"]
    assert not state["redis_imported"] and state["redis_clients"] == 0
