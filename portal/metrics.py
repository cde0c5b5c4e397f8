"""Prometheus metrics (issue 13): what an operator watches, served at /metrics to an allow-list.

Requests (count, latency, status) come from django-prometheus's middleware. The portal's own:
verifications by result, auto-approvals by outcome, photo-check durations, and the depth of each
Celery queue (read from the broker when scraped). With PROMETHEUS_MULTIPROC_DIR set (gunicorn with
several workers, Celery workers on the same host) every process writes there and /metrics adds
them up; without it, each process answers for itself.
"""

from __future__ import annotations

import ipaddress
import logging
import os

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily

log = logging.getLogger(__name__)

VERIFICATIONS = Counter(
    "elicence_verifications", "Verifications answered, by result and kind of verifier", ["result", "verifier"]
)
APPROVALS = Counter("elicence_auto_approvals", "Applications decided by the auto-approval pass", ["outcome"])
PHOTO_CHECK_SECONDS = Histogram(
    "elicence_photo_check_seconds",
    "Time of one photo check in a worker",
    buckets=(0.01, 0.02, 0.03, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 1.0, 2.5),
)


def allowed(address: str | None, allow: list) -> bool:
    """Is the direct peer in the allow-list (ip_network objects)? Forwarded headers are not believed
    here: Prometheus scrapes each node directly, never through the balancer."""
    try:
        peer = ipaddress.ip_address(address or "")
    except ValueError:
        return False
    return any(peer in network for network in allow)


class QueueDepthCollector:
    """Messages waiting in each Celery queue, asked of the broker when Prometheus scrapes."""

    def __init__(self, queues: list[str]):
        self.queues = queues

    def collect(self):
        from celery import current_app

        gauge = GaugeMetricFamily("elicence_queue_depth", "Messages waiting in a Celery queue", labels=["queue"])
        try:
            with current_app.connection_for_read(connect_timeout=2) as connection:
                channel = connection.default_channel
                for queue in self.queues:
                    try:
                        depth = channel.queue_declare(queue=queue, passive=True).message_count
                    except Exception:  # a queue nobody declared yet is empty
                        depth = 0
                        channel = connection.channel()
                    gauge.add_metric([queue], depth)
        except Exception:  # the broker down: no depth, and /readyz says so
            log.warning("queue depths not read: broker unreachable")
            return
        yield gauge


def exposition(queues: list[str]) -> bytes:
    """The text Prometheus reads: every process's metrics (multiprocess mode) or this one's, then the
    queue depths."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    depths = CollectorRegistry()
    depths.register(QueueDepthCollector(queues))
    return generate_latest(registry) + generate_latest(depths)
