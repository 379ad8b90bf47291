"""Operational endpoints: ``/healthz`` and ``/metrics`` (Prometheus), and the request metrics middleware."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select, text
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

import airwave
from airwave.errors import ToolMissing
from airwave.media.ffmpeg import find_ffmpeg
from airwave.runtime import Runtime
from airwave.store.engine import Database
from airwave.store.tables import IngestJob, Title

router = APIRouter(include_in_schema=False)


class Metrics:
    """The app's Prometheus registry and the instruments the code updates."""

    def __init__(self, db: Database) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "airwave_http_requests",
            "HTTP requests by method, route template and status.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "airwave_http_request_duration_seconds",
            "Time to answer an HTTP request (until the response starts), by route template.",
            ["route"],
            registry=self.registry,
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10),
        )
        self.playback_started = Counter(
            "airwave_playback_sessions_started", "Playback sessions started.", registry=self.registry
        )
        build = Gauge("airwave_build_info", "The running Airwave version.", ["version"], registry=self.registry)
        build.labels(version=airwave.__version__).set(1)
        self.registry.register(CatalogueCollector(db))


class CatalogueCollector(Collector):
    """Counts read from the database at scrape time: titles by kind, ingest jobs by state."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def collect(self) -> Iterator[GaugeMetricFamily]:
        titles = GaugeMetricFamily("airwave_titles", "Titles in the catalogue, by kind.", labels=["kind"])
        jobs = GaugeMetricFamily("airwave_ingest_jobs", "Ingest jobs by state.", labels=["state"])
        with self._db.session() as session:
            for kind, count in session.execute(select(Title.kind, func.count()).group_by(Title.kind)):
                titles.add_metric([kind], count)
            for state, count in session.execute(select(IngestJob.state, func.count()).group_by(IngestJob.state)):
                jobs.add_metric([state], count)
        yield titles
        yield jobs


class MetricsMiddleware:
    """Counts and times every HTTP request by its route template (never the raw path: tokens, ids)."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_and_record(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                self.metrics.latency.labels(_route(scope)).observe(time.perf_counter() - started)
            await send(message)

        try:
            await self.app(scope, receive, send_and_record)
        finally:
            self.metrics.requests.labels(scope["method"], _route(scope), str(status)).inc()


def _route(scope: Scope) -> str:
    # FastAPI resolves included routers lazily: scope["route"] holds the path relative to its router, and the
    # full template ("/api/v1/titles/{title_id}") is in FastAPI's effective route context.
    context = scope.get("fastapi", {}).get("effective_route_context")
    template = getattr(getattr(context, "starlette_route", None), "path_format", None)
    template = template or getattr(context, "path_format", None) or getattr(scope.get("route"), "path_format", None)
    return template or "(unmatched)"


def install(app: FastAPI, runtime: Runtime) -> None:
    """Add the operational routes and the request metrics to ``app``."""
    app.state.metrics = Metrics(runtime.db)
    app.add_middleware(MetricsMiddleware, metrics=app.state.metrics)
    app.include_router(router)


@router.get("/healthz")
async def healthz(request: Request) -> Response:
    """Liveness and readiness: 200 when the database answers, 503 when it does not."""
    runtime: Runtime = request.app.state.runtime
    report = await run_in_threadpool(health, runtime)
    return JSONResponse(report, status_code=200 if report["database"]["ok"] else 503)


@router.get("/metrics")
async def metrics(request: Request) -> Response:
    """Prometheus text exposition."""
    registry = request.app.state.metrics.registry
    body = await run_in_threadpool(generate_latest, registry)
    return Response(body, media_type=CONTENT_TYPE_LATEST)


def health(runtime: Runtime) -> dict[str, Any]:
    """Check the database, ffmpeg and free disk space (blocking)."""
    settings = runtime.settings
    database: dict[str, Any] = {"ok": True, "backend": runtime.db.engine.dialect.name}
    try:
        with runtime.db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as exc:  # any failure means "not ready"; say which
        database.update(ok=False, error=str(exc).splitlines()[0][:300])
    try:
        ffmpeg: dict[str, Any] = {"ok": True, "path": find_ffmpeg(settings)}
    except ToolMissing as exc:
        ffmpeg = {"ok": False, "error": str(exc)}
    usage = shutil.disk_usage(settings.data)
    return {
        "status": "ok" if database["ok"] and ffmpeg["ok"] else "degraded",
        "version": airwave.__version__,
        "database": database,
        "ffmpeg": ffmpeg,
        "disk": {"path": str(settings.data), "free_bytes": usage.free, "total_bytes": usage.total},
    }
