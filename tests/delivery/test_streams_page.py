"""The admin streams page (charts from samples) and the monitor that takes dead edges out of rotation."""

from __future__ import annotations

import datetime as dt

import httpx
from fastapi.testclient import TestClient

from airwave.clock import FakeClock
from airwave.delivery.edges import add_edge
from airwave.delivery.leases import leases_of
from airwave.delivery.monitor import EdgeMonitor
from airwave.runtime import Runtime
from airwave.store.delivery import DeliverySample, Edge
from airwave.web.pages.admin.stream_charts import line_chart
from tests.web.conftest import Account


def test_chart_draws_points_and_says_when_there_is_no_data() -> None:
    start = dt.datetime(2030, 1, 1, 12, 0, tzinfo=dt.UTC)
    points = [(start + dt.timedelta(seconds=10 * i), float(v)) for i, v in enumerate([0, 4, 2])]
    svg = str(line_chart(points, label="Active <streams>"))
    assert svg.startswith("<svg")
    assert "&lt;streams&gt;" in svg
    assert svg.count(" L") >= 2
    assert "12:00" in svg
    assert ">4<" in svg
    assert "Not enough data" in str(line_chart(points[:1], label="x"))


def test_streams_page_lists_sessions_edges_and_charts(
    client: TestClient, admin: Account, viewer: Account, film: int, runtime: Runtime, clock: FakeClock
) -> None:
    started = client.post("/api/v1/playback", json={"title": film}, headers={**viewer.auth, "User-Agent": "Kodi/21"})
    assert started.status_code == 201
    with runtime.db.session() as session:
        for minutes, streams in ((-20, 1), (-10, 3)):
            at = clock.now() + dt.timedelta(minutes=minutes)
            session.add(DeliverySample(at=at, streams=streams, bytes_per_second=1e6, hit_ratio=0.9))
        add_edge(session, clock, "eu1", "http://127.0.0.1:9", "eu")
    page = client.get("/admin/streams", headers=admin.auth)
    assert page.status_code == 200
    assert "Kodi/21" in page.text
    assert "Night Train" in page.text
    assert "viewer@example.org" in page.text
    assert page.text.count('<svg class="chart"') == 2
    assert "eu1" in page.text
    assert client.get("/admin/streams", headers=viewer.auth).status_code == 403


def test_monitor_marks_unreachable_edges_down_and_samples(runtime: Runtime, clock: FakeClock) -> None:
    with runtime.db.session() as session:
        edge = add_edge(session, clock, "gone", "http://127.0.0.1:9", "eu")
        edge.healthy = True
    monitor = EdgeMonitor(runtime, leases_of(runtime))
    with httpx.Client(timeout=1.0) as client:
        monitor.check_all(client)
    monitor.sample()
    with runtime.db.session() as session:
        checked = session.query(Edge).one()
        assert not checked.healthy
        assert checked.failures == 1
        assert checked.error
        assert session.query(DeliverySample).count() == 1
