"""Client binding per plan through a real nginx edge: IP-bound sessions are refused at the edge, ASN-bound ones
at the origin (the edge holds no ASN database; playlists and keys always reach the origin)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from airwave.billing.plans import get_plan
from airwave.billing.subscriptions import subscribe
from airwave.config import load_settings
from airwave.runtime import open_runtime
from airwave.store.delivery import DeliveryEvent
from airwave.store.tables import User
from tests.delivery.test_binding import write_asn_database
from tests.e2e.delivery_stack import SECRET, airwave, edge, origin, prepare
from tests.web.conftest import sample
from tests.web.sample import RENDITION

pytestmark = pytest.mark.e2e
__all__ = ["sample"]  # the fixture

ORIGIN_ENV = {"AIRWAVE_TRUSTED_PROXIES": "127.0.0.1/32"}  # the edge reaches the origin from 127.0.0.1


def _subscribed(data: Path, sample: Path, binding: str) -> str:
    """A subscriber of a plan with ``binding`` (made with ``airwave plan add``); their bearer token."""
    _, (bearer,) = prepare(data, sample)
    airwave(data, "plan", "add", "pinned", "--name", "Pinned", "--price", "4.99", "--trial-days", "30",
            "--client-binding", binding)  # fmt: skip
    runtime = open_runtime(load_settings(data=data, secret_key=SECRET))
    try:
        with runtime.db.session() as session:
            user = session.query(User).filter_by(email="viewer@example.org").one()
            subscribe(session, runtime.clock.now(), user, get_plan(session, "pinned"))
    finally:
        runtime.close()
    return bearer


def _token(base: str, bearer: str) -> str:
    started = httpx.post(f"{base}/api/v1/playback", json={"title": 1}, headers={"Authorization": f"Bearer {bearer}"})
    assert started.status_code == 201, started.text
    return str(started.json()["url"]).split("/p/")[1].split("/", maxsplit=1)[0]


def _from(address: str) -> httpx.Client:
    return httpx.Client(transport=httpx.HTTPTransport(local_address=address), timeout=10)


def _replays(data: Path) -> list[tuple[str, str]]:
    runtime = open_runtime(load_settings(data=data, secret_key=SECRET))
    try:
        with runtime.db.session() as session:
            return [(e.client_ip, e.detail) for e in session.query(DeliveryEvent).filter_by(kind="replay")]
    finally:
        runtime.close()


def test_a_plan_bound_to_the_address_is_enforced_at_the_edge(tmp_path: Path, sample: Path) -> None:
    data = tmp_path / "var"
    bearer = _subscribed(data, sample, "ip")
    with origin(data, ORIGIN_ENV) as base, edge(data, base, tmp_path / "e1", "e1") as (url, _):
        token = _token(base, bearer)  # started from 127.0.0.1
        assert token.split(".")[3].startswith("i")
        paths = (f"{RENDITION}/init.mp4", f"{RENDITION}/seg_00000.m4s", f"{RENDITION}/index.m3u8", "keys/0.key")
        with _from("127.0.0.1") as owner, _from("127.0.0.2") as elsewhere:
            for path in paths:
                assert owner.get(f"{url}/p/{token}/t/1/{path}").status_code == 200, path
                replay = elsewhere.get(f"{url}/p/{token}/t/1/{path}")
                assert replay.status_code == 403, path
                assert b"ftyp" not in replay.content
        log = (tmp_path / "e1" / "error.log").read_text()
        assert f"airwave replay: session {token.split('.')[1]} is bound to another address" in log


def test_a_plan_bound_to_the_network_is_enforced_at_the_origin(tmp_path: Path, sample: Path) -> None:
    data = tmp_path / "var"
    bearer = _subscribed(data, sample, "asn")
    networks = {"127.0.0.1/32": 64500, "127.0.0.2/32": 64500, "127.0.0.4/32": 64511}
    database = write_asn_database(tmp_path / "asn.mmdb", networks)
    env = {**ORIGIN_ENV, "AIRWAVE_GEOIP_ASN_MMDB": str(database)}
    with origin(data, env) as base, edge(data, base, tmp_path / "e1", "e1") as (url, _):
        token = _token(base, bearer)  # started from 127.0.0.1, AS64500
        assert token.split(".")[3].startswith("a")
        playlist, key = f"{url}/p/{token}/t/1/{RENDITION}/index.m3u8", f"{url}/p/{token}/t/1/keys/0.key"
        segment = f"{url}/p/{token}/t/1/{RENDITION}/seg_00000.m4s"
        with _from("127.0.0.2") as moved, _from("127.0.0.4") as elsewhere:
            for wanted in (playlist, key, segment):  # the same network, another address: plays on
                assert moved.get(wanted).status_code == 200, wanted
            assert elsewhere.get(playlist).status_code == 403  # the origin checks the network
            assert elsewhere.get(key).status_code == 403
            # the edge cannot check networks: it serves the (encrypted) segment, documented in docs/security.md
            assert elsewhere.get(segment).status_code == 200
    assert [(address, "AS64511" in detail and detail.endswith("refused")) for address, detail in _replays(data)] == [
        ("127.0.0.4", True)
    ]
