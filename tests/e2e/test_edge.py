"""Two real nginx edges in front of a real origin: caching, request collapsing, token checks, failover."""

from __future__ import annotations

import concurrent.futures
import hashlib
import time
from pathlib import Path

import httpx
import pytest

from airwave.delivery.tokens import Keyring, token_root
from tests.e2e.delivery_stack import SECRET, airwave, edge, metric, origin, prepare, stop, wait_for
from tests.web.conftest import sample

pytestmark = pytest.mark.e2e
__all__ = ["sample"]  # the fixture

ROUTE = {"method": "GET", "route": "/p/{token}/t/{title_id}/{path}", "status": "200"}
ORIGIN_ENV = {"AIRWAVE_TRUSTED_PROXIES": "127.0.0.1/32", "AIRWAVE_EDGE_CHECK_SECONDS": "0.3"}


def _origin_fetches(base: str) -> float:
    return metric(base, "airwave_http_requests_total", **ROUTE) or 0.0


def _start(base: str, token: str) -> dict[str, str]:
    answer = httpx.post(f"{base}/api/v1/playback", json={"title": 1},
                        headers={"Authorization": f"Bearer {token}", "User-Agent": "edge-test"})  # fmt: skip
    assert answer.status_code == 201, answer.text
    body: dict[str, str] = answer.json()
    return body


def test_edges_cache_collapse_refuse_and_fail_over(tmp_path: Path, sample: Path) -> None:
    data = tmp_path / "var"
    _, (token,) = prepare(data, sample)
    with (
        origin(data, ORIGIN_ENV) as base,
        edge(data, base, tmp_path / "e1", "e1") as (url1, nginx1),
        edge(data, base, tmp_path / "e2", "e2") as (url2, _),
    ):
        airwave(data, "edge", "add", "e1", "--url", url1)
        airwave(data, "edge", "add", "e2", "--url", url2)
        wait_for(lambda: metric(base, "airwave_edge_up", edge="e2", region="default") == 1.0, 20, "e2 healthy")
        wait_for(lambda: metric(base, "airwave_edge_up", edge="e1", region="default") == 1.0, 20, "e1 healthy")
        session = _start(base, token)
        assert session["url"].startswith((url1, url2)), session["url"]
        _cache_hits_without_the_token(session["url"], _start(base, token)["url"])
        _one_origin_fetch_per_object(base, url1, url2, session["url"])
        _bad_tokens_refused_at_the_edge(base, url1, session["url"])
        _failover(base, session["url"], url1, url2, nginx1)


def _swap(url: str, old: str, new: str) -> str:
    return new + url.removeprefix(old) if url.startswith(old) else url


def _cache_hits_without_the_token(first_url: str, second_url: str) -> None:
    base1, base2 = first_url.rsplit("/", 1)[0], second_url.rsplit("/", 1)[0]
    host = first_url.split("/p/", maxsplit=1)[0]
    base2 = host + "/p/" + base2.split("/p/")[1]  # the other session's token, on the same edge
    miss = httpx.get(f"{base1}/180p/init.mp4")
    assert (miss.status_code, miss.headers["x-cache"]) == (200, "MISS")
    hit = httpx.get(f"{base1}/180p/init.mp4")
    assert (hit.headers["x-cache"], hit.content) == ("HIT", miss.content)
    other_session = httpx.get(f"{base2}/180p/init.mp4")
    assert (other_session.headers["x-cache"], other_session.content) == ("HIT", miss.content)
    playlist = httpx.get(f"{base1}/180p/index.m3u8")
    assert playlist.status_code == 200
    assert "x-cache" not in playlist.headers
    assert "no-store" in playlist.headers["cache-control"]
    key = httpx.get(f"{base1}/keys/0.key")
    assert key.status_code == 200
    assert len(key.content) == 16
    assert "no-store" in key.headers["cache-control"]


def _one_origin_fetch_per_object(base: str, url1: str, url2: str, session_url: str) -> None:
    # The other edge has never seen seg_00001: 50 clients ask for it at once.
    own, other = (url1, url2) if session_url.startswith(url1) else (url2, url1)
    segment = _swap(session_url, own, other).rsplit("/", 1)[0] + "/180p/seg_00001.m4s"
    before = _origin_fetches(base)
    with concurrent.futures.ThreadPoolExecutor(50) as pool:
        answers = list(pool.map(lambda _: httpx.get(segment, timeout=30), range(50)))
    assert {a.status_code for a in answers} == {200}
    assert len({hashlib.sha256(a.content).hexdigest() for a in answers}) == 1
    assert _origin_fetches(base) - before == 1


def _bad_tokens_refused_at_the_edge(base: str, edge_url: str, session_url: str) -> None:
    token = session_url.split("/p/")[1].split("/", maxsplit=1)[0]
    key_id, session_id, expiry, signature = token.split(".")
    flipped = signature[:-1] + ("A" if signature[-1] != "A" else "B")
    now = time.time()
    expired = Keyring(token_root(SECRET), 24 * 3600, 6 * 3600).signer(now).sign(session_id, "/t/1/", int(now) - 5)
    before = _origin_fetches(base)
    for bad in (f"{key_id}.{session_id}.{expiry}.{flipped}", expired, f"{key_id}.other.{expiry}.{signature}"):
        for path in ("180p/init.mp4", "180p/index.m3u8", "keys/0.key", "master.m3u8"):
            answer = httpx.get(f"{edge_url}/p/{bad}/t/1/{path}")
            assert answer.status_code == 403, (bad, path)
            assert b"ftyp" not in answer.content
            assert b"#EXTM3U" not in answer.content
    assert _origin_fetches(base) == before  # refused by the edge itself


def _failover(base: str, session_url: str, url1: str, url2: str, nginx1: object) -> None:
    # Play through e1; the master lists every variant again through e2.
    start = _swap(session_url, url2, url1)
    master = httpx.get(start).text
    variants = [line for line in master.splitlines() if line and not line.startswith("#")]
    assert variants[0] == "180p/index.m3u8", master
    assert variants[1].startswith(f"{url2}/p/"), master
    folder = start.rsplit("/", 1)[0]
    assert httpx.get(f"{folder}/180p/seg_00000.m4s").status_code == 200
    stop(nginx1)  # type: ignore[arg-type]
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{folder}/180p/seg_00001.m4s")
    backup = variants[1]
    playlist = httpx.get(backup)
    assert playlist.status_code == 200
    backup_folder = backup.rsplit("/", 1)[0]
    for uri in [line for line in playlist.text.splitlines() if line.endswith(".m4s")]:
        assert httpx.get(f"{backup_folder}/{uri}").status_code == 200
    wait_for(lambda: metric(base, "airwave_edge_up", edge="e1", region="default") == 0.0, 10, "e1 out of rotation")
