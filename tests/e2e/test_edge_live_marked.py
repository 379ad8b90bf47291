"""A watermarked live channel through a real nginx edge: sessions fetch the same encrypted segment URLs and each
receives its own A/B copy, each variant is fetched from the origin once and shared by every session holding that
bit, the origin names a variant only to an edge that asks for it, and forged tokens get 403 at the edge.

The channel's DVR is laid out on disk as the channel worker and :mod:`airwave.channels.marking` leave it (index,
renditions, marked init, ``a/`` and ``b/`` copies of every segment), with the supervisor off: what matters to
delivery is which bytes a session receives, not how they were encoded (``tests/e2e/test_trace_live.py`` marks
real video).
"""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from airwave.channels.feeds import channel_dir, init_uri, segment_uri
from airwave.channels.index import IndexWriter
from airwave.channels.marking import marked_init_path, segment_number, variant_path
from airwave.channels.meta import LiveRendition, write_meta
from airwave.channels.service import create_channel
from airwave.config import load_settings
from airwave.delivery import keys
from airwave.delivery.tokens import token_root
from airwave.delivery.variants import VARIANT_HEADER, derived_code
from airwave.runtime import open_runtime
from airwave.store.watermark import WatermarkCode
from airwave.watermark.variants import variant_for
from tests.e2e.delivery_stack import SECRET, edge, metric, origin
from tests.web.conftest import make_account

pytestmark = pytest.mark.e2e

SLUG = "marked-news"
RUN = "5eed01"
RENDITION = "live"
SEGMENTS = 8
VIEWERS = tuple(f"viewer{i}@example.org" for i in range(6))
MARKED_INIT = b"marked init section"
ROUTE = {"method": "GET", "route": "/p/{token}/c/{slug}/{path}", "status": "200"}
ORIGIN_ENV = {
    "AIRWAVE_TRUSTED_PROXIES": "127.0.0.1/32",  # the edge
    "AIRWAVE_LIVE_ENCRYPTION": "true",
    "AIRWAVE_LIVE_SUPERVISOR": "false",  # the DVR below is the channel's whole output: no worker adds to it
}


def _segment_bytes(variant: str, n: int) -> bytes:
    return f"variant {variant} of segment {n};".encode() * 40


def _prepare(data: Path) -> list[str]:
    """A marked live channel with a published, marked run, and one subscriber per viewer; their bearer tokens."""
    runtime = open_runtime(load_settings(data=data, secret_key=SECRET))
    try:
        source = data / "source.mp4"  # a channel needs a source; with the supervisor off it is never read
        source.write_bytes(b"")
        with runtime.db.session() as session:
            create_channel(session, runtime.settings, runtime.clock, SLUG, name="Marked News",
                           source_url=f"file://{source}", watermark=True)  # fmt: skip
        folder = channel_dir(runtime.settings, SLUG)
        write_meta(folder, [LiveRendition(RENDITION, "avc1.64001e", 400_000, 400_000, 320, 180, 25.0)])
        (folder / RENDITION).mkdir(parents=True, exist_ok=True)
        (folder / init_uri(RENDITION, RUN)).write_bytes(b"source init section")
        marked_init_path(folder, RENDITION, RUN).parent.mkdir(parents=True, exist_ok=True)
        marked_init_path(folder, RENDITION, RUN).write_bytes(MARKED_INIT)
        writer = IndexWriter(folder)
        start = time.time() - SEGMENTS - 2
        for n in range(SEGMENTS):
            (folder / segment_uri(RENDITION, RUN, n)).write_bytes(b"unmarked original, never served")
            for variant in ("a", "b"):
                path = variant_path(folder, RENDITION, variant, RUN, n)
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(_segment_bytes(variant, n))
            writer.append(start + n, 1.0, n == 0, RUN, n, (RENDITION,))
        return [make_account(runtime, email, "subscriber").token for email in VIEWERS]
    finally:
        runtime.close()


def _origin_fetches(base: str) -> float:
    return metric(base, "airwave_http_requests_total", **ROUTE) or 0.0


def _start(base: str, bearer: str) -> tuple[str, str]:
    """A channel session started at the origin: its session id and token."""
    answer = httpx.post(f"{base}/api/v1/playback", json={"channel": SLUG},
                        headers={"Authorization": f"Bearer {bearer}", "User-Agent": "edge-test"})  # fmt: skip
    assert answer.status_code == 201, answer.text
    return answer.json()["session_id"], answer.json()["url"].split("/p/")[1].split("/", maxsplit=1)[0]


def _variant(token: str, msn: int) -> str:
    """The variant the token's session must receive for the segment at ``msn`` (N = msn + 1, as marked)."""
    fields = token.split(".")
    session_id, count = fields[1], int(fields[3].removeprefix("w"), 36)
    return variant_for(derived_code(token_root(SECRET), session_id, count), count, segment_number(msn))


def _listed(url: str, token: str) -> dict[int, str]:
    """The session's live playlist, fetched through the edge: msn -> ``enc/<period>/<msn>/<uri>``."""
    answer = httpx.get(f"{url}/p/{token}/c/{SLUG}/{RENDITION}/live.m3u8")
    assert answer.status_code == 200, answer.text
    paths = [line.removeprefix("../") for line in answer.text.splitlines() if line and not line.startswith("#")]
    assert all(path.startswith("enc/") for path in paths), answer.text
    return {int(path.split("/")[2]): path for path in paths}


def _pick(tokens: list[str], msns: list[int]) -> tuple[int, str, str, str]:
    """A segment and three sessions: two whose variants differ there, and a third with the first's variant."""
    for msn in msns:
        holders = {variant: [t for t in tokens if _variant(t, msn) == variant] for variant in ("a", "b")}
        if len(holders["a"]) >= 2 and holders["b"]:
            return msn, holders["a"][0], holders["b"][0], holders["a"][1]
    raise AssertionError("no segment splits the sessions 2:1 (probability below 1e-7: rerun)")


def _other(variant: str) -> str:
    return "b" if variant == "a" else "a"


def test_an_edge_serves_each_marked_live_session_its_own_variant(tmp_path: Path) -> None:
    data = tmp_path / "var"
    bearers = _prepare(data)
    with origin(data, ORIGIN_ENV) as base, edge(data, base, tmp_path / "e1", "e1") as (url, _):
        sessions = dict(_start(base, bearer) for bearer in bearers)
        tokens = list(sessions.values())
        assert all(token.split(".")[3].startswith("w") for token in tokens)  # the code length rides in the token
        playlists = [_listed(url, token) for token in tokens]
        assert all(listed == playlists[0] for listed in playlists)  # neutral URLs: the same list for everyone
        msn, first, second, third = _pick(tokens, sorted(playlists[0]))
        path = playlists[0][msn]
        before = _origin_fetches(base)
        got: dict[str, set[bytes]] = {}
        for token, state in ((first, "MISS"), (second, "MISS"), (first, "HIT"), (second, "HIT"), (third, "HIT")):
            answer = httpx.get(f"{url}/p/{token}/c/{SLUG}/{path}")
            assert (answer.status_code, answer.headers["x-cache"]) == (200, state), (token, answer.text[:200])
            assert "x-airwave-variant" not in answer.headers  # the client does not learn its code
            assert "private" in answer.headers["cache-control"]  # no cache past the edge may share it
            got.setdefault(_variant(token, msn), set()).add(answer.content)
        assert {variant: len(bodies) for variant, bodies in got.items()} == {"a": 1, "b": 1}
        assert got["a"] != got["b"]  # different bytes for the same URL
        assert _origin_fetches(base) - before == 2  # each variant fetched from the origin and stored once
        _each_copy_is_its_variant_encrypted(url, path, msn, {first: got["a"], second: got["b"]})
        _the_origin_names_variants_to_edges_alone(base, path, msn, first, got)
        _a_client_cannot_pick_its_variant_through_the_edge(base, url, playlists[0], msn, first)
        _forged_tokens_refused_at_the_edge(base, url, path, first, second)
        # The marked run's init section is one copy for everyone.
        inits = [httpx.get(f"{url}/p/{token}/c/{SLUG}/{RENDITION}/{RUN}-init.mp4") for token in (first, second)]
        assert [answer.headers["x-cache"] for answer in inits] == ["MISS", "HIT"]
        assert {answer.content for answer in inits} == {MARKED_INIT}
    _every_viewer_has_a_stored_code(data, sessions)


def _each_copy_is_its_variant_encrypted(url: str, path: str, msn: int, copies: dict[str, set[bytes]]) -> None:
    period, n = int(path.split("/")[1]), int(path.rsplit("-", 1)[1].removesuffix(".m4s"))
    for token, (body,) in copies.items():
        key = httpx.get(f"{url}/p/{token}/c/{SLUG}/keys/{period}.key")
        assert key.status_code == 200, key.text
        assert keys.decrypt(body, key.content, msn) == _segment_bytes(_variant(token, msn), n)


def _the_origin_names_variants_to_edges_alone(
    base: str, path: str, msn: int, token: str, got: dict[str, set[bytes]]
) -> None:
    own = _variant(token, msn)
    segment = f"{base}/p/{token}/c/{SLUG}/{path}"
    # Asked without a variant (no edge, or a plain proxy): the session's own copy, private, nothing named.
    plain = httpx.get(segment)
    assert (plain.content in got[own], VARIANT_HEADER.lower() in plain.headers) == (True, False)
    assert "private" in plain.headers["cache-control"]
    # An edge (a trusted address) asking for the session's variant gets it named back, so that it may store it.
    asked = httpx.get(segment, headers={VARIANT_HEADER: own})
    assert (asked.content in got[own], asked.headers[VARIANT_HEADER]) == (True, own)
    # Naming the other variant picks nothing: the session's own copy, unnamed (an edge would not store it), from
    # a trusted address (a load balancer passing a client's header on) or from anyone else.
    trusted = httpx.get(segment, headers={VARIANT_HEADER: _other(own)})
    with httpx.Client(transport=httpx.HTTPTransport(local_address="127.0.0.2")) as elsewhere:
        untrusted = elsewhere.get(segment, headers={VARIANT_HEADER: _other(own)})
    for claimed in (trusted, untrusted):
        assert (claimed.content in got[own], VARIANT_HEADER.lower() in claimed.headers) == (True, False)


def _a_client_cannot_pick_its_variant_through_the_edge(
    base: str, url: str, listed: dict[int, str], used: int, token: str
) -> None:
    # A segment nobody fetched yet: the request reaches the origin naming the edge's variant, not the client's
    # (the origin confirms it, so the edge stores the copy: the next request is a hit).
    msn = next(m for m in sorted(listed) if m != used)
    own = _variant(token, msn)
    segment = f"{url}/p/{token}/c/{SLUG}/{listed[msn]}"
    answers = [httpx.get(segment, headers={VARIANT_HEADER: _other(own)}) for _ in range(2)]
    assert [(answer.status_code, answer.headers["x-cache"]) for answer in answers] == [(200, "MISS"), (200, "HIT")]
    with httpx.Client(transport=httpx.HTTPTransport(local_address="127.0.0.2")) as client:
        direct = client.get(f"{base}/p/{token}/c/{SLUG}/{listed[msn]}")  # the session's own, chosen by the origin
    assert answers[0].content == answers[1].content == direct.content


def _forged_tokens_refused_at_the_edge(base: str, url: str, path: str, first: str, second: str) -> None:
    key_id, session_id, expiry, bits, signature = first.split(".")
    before = _origin_fetches(base)
    for forged in (f"{key_id}.{session_id}.{expiry}.{signature}", f"{key_id}.{session_id}.{expiry}.w1.{signature}",
                   f"{key_id}.{second.split('.')[1]}.{expiry}.{bits}.{signature}"):  # fmt: skip
        answer = httpx.get(f"{url}/p/{forged}/c/{SLUG}/{path}")
        assert answer.status_code == 403, forged
        assert answer.content.startswith(b"this playback link is not valid")
    assert _origin_fetches(base) == before  # refused by the edge itself


def _every_viewer_has_a_stored_code(data: Path, sessions: dict[str, str]) -> None:
    """Even a session the edge served from its cache alone can be traced: its code was stored with its playlist."""
    runtime = open_runtime(load_settings(data=data, secret_key=SECRET))
    try:
        with runtime.db.session() as session:
            rows = session.scalars(select(WatermarkCode).where(WatermarkCode.channel == SLUG)).all()
            stored = {row.session_id: (row.bits, row.code) for row in rows}
    finally:
        runtime.close()
    expected = {}
    for session_id, token in sessions.items():
        bits = int(token.split(".")[3].removeprefix("w"), 36)
        expected[session_id] = (bits, derived_code(token_root(SECRET), session_id, bits))
    assert stored == expected
