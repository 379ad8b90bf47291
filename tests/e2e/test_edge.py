"""Two real nginx edges in front of a real origin: caching, request collapsing, token checks, failover."""

from __future__ import annotations

import concurrent.futures
import hashlib
import json
import string
import time
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import sync_playwright

from airwave.delivery.tokens import Keyring, token_root
from airwave.delivery.variants import derived_code
from airwave.watermark.variants import variant_for
from tests.e2e.delivery_stack import SECRET, airwave, edge, metric, origin, prepare, stop, wait_for
from tests.e2e.portal import CHROMIUM_ARGS, PASSWORD, SERVER_ENV, VIEWER, make_clip
from tests.services import require_chromium
from tests.web.conftest import sample
from tests.web.sample import RENDITION

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
        _cache_counted(base, session["url"], "e1" if session["url"].startswith(url1) else "e2")
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


def _cache_counted(base: str, session_url: str, name: str) -> None:
    # The one miss and two hits above, as the edge reports them and the origin's metrics scrape them.
    host = session_url.split("/p/", maxsplit=1)[0]
    wait_for(lambda: httpx.get(f"{host}/edge/stats").json()["hits"] >= 2, 5, f"{name} counting its hits")
    stats = httpx.get(f"{host}/edge/stats").json()
    assert (stats["name"], stats["misses"]) == (name, 1), stats
    assert stats["bytes_sent"] >= 3 * 100, stats  # three init sections

    def hit_ratio() -> float:
        return metric(base, "airwave_edge_cache_hit_ratio", edge=name, region="default") or 0.0

    wait_for(lambda: hit_ratio() >= 0.5, 10, f"{name}'s hit ratio in the origin's metrics")


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
    # The last character's low 4 bits are padding: this spelling decodes to the same 128 bits.
    alphabet = string.ascii_uppercase + string.ascii_lowercase + string.digits + "-_"
    respelled = signature[:-1] + alphabet[alphabet.index(signature[-1]) ^ 1]
    bad_tokens = (
        f"{key_id}.{session_id}.{expiry}.{flipped}",
        f"{key_id}.{session_id}.{expiry}.{respelled}",
        expired,
        f"{key_id}.other.{expiry}.{signature}",
        f"{key_id}.{session_id}.{expiry}.w1.{signature}",
        f"{key_id}.{session_id}.{expiry}",
        f"{key_id}..{expiry}.{signature}",
        "x",
    )
    before = _origin_fetches(base)
    for bad, title in [(bad, 1) for bad in bad_tokens] + [(token, 2)]:  # the last: a real token, another title
        for path in ("180p/init.mp4", "180p/index.m3u8", "keys/0.key", "master.m3u8"):
            answer = httpx.get(f"{edge_url}/p/{bad}/t/{title}/{path}")
            assert answer.status_code == 403, (bad, title, path)
            assert b"ftyp" not in answer.content
            assert b"#EXTM3U" not in answer.content
    assert httpx.get(f"{edge_url}/p/{token}/t/1/180p/init.mp4").status_code == 200
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


def _token(url: str) -> str:
    return url.split("/p/")[1].split("/", maxsplit=1)[0]


def _variant(token: str, segment: int) -> str:
    """The variant the token's session must receive for ``segment`` (its code is derived, see variants.py)."""
    fields = token.split(".")
    session_id, count = fields[1], int(fields[3].removeprefix("w"), 36)
    return variant_for(derived_code(token_root(SECRET), session_id, count), count, segment)


def test_an_edge_serves_each_marked_session_its_own_variant(tmp_path: Path, sample: Path) -> None:
    data = tmp_path / "var"
    emails = tuple(f"viewer{i}@example.org" for i in range(10))
    _, tokens = prepare(data, sample, emails, marked=True)
    with origin(data, ORIGIN_ENV) as base, edge(data, base, tmp_path / "e1", "e1") as (url, _):
        sessions = [_token(_start(base, bearer)["url"]) for bearer in tokens]
        assert all(len(token.split(".")) == 5 for token in sessions)  # the code length rides in the token
        # Two sessions whose codes differ at some segment, and a third with the first one's variant there
        # (searched over both segments, so no draw of random session ids leaves the test without a trio).
        number, first, second, third = next(
            (n, a, b, t)
            for n in (0, 1)
            for a in sessions
            for b in sessions
            for t in sessions
            if _variant(a, n) == _variant(t, n) == "a" and _variant(b, n) == "b" and t != a
        )
        path = f"/t/1/{RENDITION}/seg_{number:05d}.m4s"
        before = _origin_fetches(base)
        got: dict[str, set[bytes]] = {}
        for token, state in ((first, "MISS"), (second, "MISS"), (first, "HIT"), (second, "HIT"), (third, "HIT")):
            answer = httpx.get(f"{url}/p/{token}{path}")
            assert (answer.status_code, answer.headers["x-cache"]) == (200, state), (token, answer.text[:200])
            assert "x-airwave-variant" not in answer.headers  # the client does not learn its code
            assert "private" in answer.headers["cache-control"]  # no cache past the edge may share it
            got.setdefault(_variant(token, number), set()).add(answer.content)
        assert {key: len(bodies) for key, bodies in got.items()} == {"a": 1, "b": 1}
        assert got["a"] != got["b"]  # different bytes for the same URL
        assert _origin_fetches(base) - before == 2  # each variant fetched and stored once
        # The edge's copies are the origin's: what the session would get without the edge. The origin names the
        # variant to its trusted proxies (the edges) alone.
        for token in (first, second):
            direct = httpx.get(f"{base}/p/{token}{path}")
            assert direct.content in got[_variant(token, number)]
            assert direct.headers["x-airwave-variant"] == _variant(token, number)
        with httpx.Client(transport=httpx.HTTPTransport(local_address="127.0.0.2")) as client:
            assert "x-airwave-variant" not in client.get(f"{base}/p/{first}{path}").headers
        # The unmarked init section is still one copy for everyone.
        inits = [httpx.get(f"{url}/p/{token}/t/1/{RENDITION}/init.mp4") for token in (first, second)]
        assert [answer.headers["x-cache"] for answer in inits] == ["MISS", "HIT"]
        # Neither the code length nor the session can be changed: the signature covers both.
        key_id, session_id, expiry, bits, signature = first.split(".")
        for forged in (f"{key_id}.{session_id}.{expiry}.{signature}", f"{key_id}.{session_id}.{expiry}.w1.{signature}",
                       f"{key_id}.{second.split('.')[1]}.{expiry}.{bits}.{signature}"):  # fmt: skip
            assert httpx.get(f"{url}/p/{forged}{path}").status_code == 403


VIDEO = "document.querySelector('video')"
PLAYER_SELECTOR = "[data-player]"
PLAYER = f"document.querySelector('{PLAYER_SELECTOR}')"


def _note(segments: list[str], outcome: str, url: str) -> None:
    if ".m4s" in url:
        segments.append(f"{outcome} {url}")


@pytest.mark.browser
def test_a_browser_keeps_playing_through_the_other_edge_when_its_edge_dies(tmp_path: Path) -> None:
    executable = require_chromium()
    data = tmp_path / "var"
    clip = make_clip(tmp_path / "clip.mp4", seconds=60)
    airwave(data, "user", "add", VIEWER, "--password", PASSWORD, env=SERVER_ENV)
    ingested = airwave(data, "ingest", str(clip), "--title", "Long Film", "--json", env=SERVER_ENV)
    title = json.loads(ingested.strip().splitlines()[-1])["id"]
    with (
        origin(data, {**ORIGIN_ENV, **SERVER_ENV}) as base,
        edge(data, base, tmp_path / "e1", "e1") as (url1, nginx1),
        edge(data, base, tmp_path / "e2", "e2") as (url2, nginx2),
        sync_playwright() as playwright,
    ):
        airwave(data, "edge", "add", "e1", "--url", url1)
        airwave(data, "edge", "add", "e2", "--url", url2)
        for name in ("e1", "e2"):
            wait_for(lambda n=name: metric(base, "airwave_edge_up", edge=n, region="default") == 1.0, 20, name)
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        page = browser.new_context(base_url=base).new_page()
        # A viewer's line, not loopback: the player buffers a few seconds ahead, not the whole film at once.
        network = page.context.new_cdp_session(page)
        network.send("Network.enable")
        line = {"offline": False, "latency": 20, "downloadThroughput": 200_000, "uploadThroughput": -1}
        network.send("Network.emulateNetworkConditions", line)
        segments: list[str] = []  # every segment request, in order: "ok <url>" or "failed <url>"
        page.on("requestfinished", lambda request: _note(segments, "ok", request.url))
        page.on("requestfailed", lambda request: _note(segments, "failed", request.url))
        page.goto("/login")
        page.fill("#email", VIEWER)
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url("**/")
        page.goto(f"/watch/{title}")
        page.wait_for_function(f"{VIDEO}.currentTime > 1 && !{VIDEO}.paused", timeout=30_000)
        playing, other = (url1, url2) if segments[0].startswith(f"ok {url1}") else (url2, url1)
        assert all(entry.startswith(f"ok {playing}") for entry in segments), segments
        stop(nginx1 if playing == url1 else nginx2)  # the edge dies mid-playback
        seen = len(segments)
        buffered = page.evaluate(f"{VIDEO}.buffered.end({VIDEO}.buffered.length - 1)")
        assert buffered < 50, f"the player had buffered {buffered} s: nothing left to fetch after the kill"
        # Playing on past what was buffered: what comes next must come through the surviving edge.
        page.wait_for_function(
            f"({VIDEO}.currentTime > {buffered + 3} && !{VIDEO}.paused) || {PLAYER}.dataset.state === 'error'",
            timeout=60_000,
        )
        state = page.get_attribute(PLAYER_SELECTOR, "data-state")
        assert state != "error", (page.inner_text("[data-role=error-message]"), segments[seen:])
        assert any(entry.startswith(f"ok {other}") for entry in segments[seen:]), segments[seen:]
        browser.close()


def test_an_ip_bound_session_is_refused_and_logged_at_the_edge_from_another_address(
    tmp_path: Path, sample: Path
) -> None:
    data = tmp_path / "var"
    _, (bearer,) = prepare(data, sample)
    with (
        origin(data, {**ORIGIN_ENV, "AIRWAVE_BIND_SESSION_IP": "true"}) as base,
        edge(data, base, tmp_path / "e1", "e1", "--trusted-proxy", "127.0.0.3") as (url, _),
    ):
        token = _token(_start(base, bearer)["url"])  # started from 127.0.0.1
        assert token.split(".")[3].startswith("i")  # bound: the token carries the client's keyed hash
        segment = f"{url}/p/{token}/t/1/{RENDITION}/init.mp4"
        assert httpx.get(segment).status_code == 200
        before = _origin_fetches(base)
        with httpx.Client(transport=httpx.HTTPTransport(local_address="127.0.0.2")) as elsewhere:
            for path in (f"{RENDITION}/init.mp4", f"{RENDITION}/seg_00000.m4s", f"{RENDITION}/index.m3u8"):
                replay = elsewhere.get(f"{url}/p/{token}/t/1/{path}")
                assert replay.status_code == 403, path
                assert b"ftyp" not in replay.content
            claimed = elsewhere.get(segment, headers={"X-Forwarded-For": "127.0.0.1"})
            assert claimed.status_code == 403  # an untrusted peer's X-Forwarded-For counts for nothing
        with httpx.Client(transport=httpx.HTTPTransport(local_address="127.0.0.3")) as balancer:
            assert balancer.get(segment, headers={"X-Forwarded-For": "127.0.0.1"}).status_code == 200
            assert balancer.get(segment, headers={"X-Forwarded-For": "127.0.0.2"}).status_code == 403
        assert _origin_fetches(base) == before  # refused at the edge, before cache or origin
        log = (tmp_path / "e1" / "error.log").read_text()
        assert f"airwave replay: session {token.split('.')[1]}" in log
        assert "127.0.0.2" in log
