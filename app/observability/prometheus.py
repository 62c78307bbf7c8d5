"""`/metrics` for Prometheus: request counts and durations of this server, and the platform's state.

Two kinds of figures, because gunicorn runs several worker processes per server:

- **per request** (`kndmst_http_requests_total{method,route,status}`,
  `kndmst_http_request_duration_seconds{route}`): counted by the worker that answered. With
  `PROMETHEUS_MULTIPROC_DIR` set (production; the directory emptied before gunicorn starts) each
  worker writes them to files there and a scrape adds up every worker's, so any worker answers for the
  whole server (prometheus_client's multiprocess mode). Without it (the single-process setup) they
  are this process's. Prometheus scrapes **each app server**; `sum by (route)` adds the servers.
- **from the database and the queue** (`kndmst_checkins_total`, `kndmst_jobs{status}`,
  `kndmst_task_queue_length`, `kndmst_mail_failures`): read when scraped, the same on every server,
  so take `max` across servers, never `sum`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram, disable_created_metrics, generate_latest
from prometheus_client.metrics_core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from sqlalchemy import func, select

from app.events.models import Checkin
from app.extensions import db
from app.jobs.models import DONE, FAILED, QUEUED, RUNNING, Job
from app.mail.models import MailFailure
from app.observability.services import tasks_waiting

# No `*_created` series beside each counter and histogram: they double the output and no dashboard
# here reads them (a library-wide switch of prometheus_client).
disable_created_metrics()

# The request metrics live in a registry of their own (not prometheus_client's global one, which
# would also publish the process's Python internals, per worker).
LOCAL = CollectorRegistry(auto_describe=True)
REQUESTS = Counter(
    "kndmst_http_requests",
    "Requests answered, by method, route (the URL rule, never the path) and status.",
    ["method", "route", "status"],
    registry=LOCAL,
)
DURATION = Histogram(
    "kndmst_http_request_duration_seconds",
    "Time to answer a request, by route.",
    ["route"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
    registry=LOCAL,
)


def observe_request(method: str, route: str, status: int, seconds: float) -> None:
    REQUESTS.labels(method, route, str(status)).inc()
    DURATION.labels(route).observe(seconds)


def multiprocess() -> bool:
    """prometheus_client's own switch: the variable is read when the library is imported."""
    return bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))


class _Local(Collector):
    def collect(self) -> Iterator[Metric]:
        yield from LOCAL.collect()

    def describe(self) -> list[Metric]:
        return []


class PlatformCollector(Collector):
    """What every server sees alike, read at scrape time (a handful of COUNT queries)."""

    def collect(self) -> Iterator[Metric]:
        checkins = CounterMetricFamily(
            "kndmst_checkins", "Check-ins recorded at event gates (undone ones included)."
        )
        checkins.add_metric([], db.session.scalar(select(func.count()).select_from(Checkin)) or 0)
        yield checkins
        jobs = GaugeMetricFamily(
            "kndmst_jobs", "Background jobs (exports, reports) by status.", labels=["status"]
        )
        by_status = dict(
            db.session.execute(select(Job.status, func.count()).group_by(Job.status)).tuples().all()
        )
        for status in (QUEUED, RUNNING, DONE, FAILED):
            jobs.add_metric([status], by_status.get(status, 0))
        yield jobs
        failures = GaugeMetricFamily(
            "kndmst_mail_failures", "Messages that could not be delivered, awaiting the Sở's decision."
        )
        failures.add_metric([], db.session.scalar(select(func.count()).select_from(MailFailure)) or 0)
        yield failures
        waiting = tasks_waiting()
        if waiting is None:
            return  # the queue's storage is down: the other figures still go out
        pending = GaugeMetricFamily("kndmst_task_queue_length", "Tasks (mail, jobs) waiting for a worker.")
        pending.add_metric([], waiting)
        yield pending

    def describe(self) -> list[Metric]:
        return []  # read at scrape time only, never when registered


def exposition() -> bytes:
    """The text a scrape receives (Prometheus text exposition format)."""
    registry = CollectorRegistry(auto_describe=False)
    if multiprocess():
        MultiProcessCollector(registry)
    else:
        registry.register(_Local())
    registry.register(PlatformCollector())
    return generate_latest(registry)
