from __future__ import annotations

import re

from fastapi.testclient import TestClient

from airwave.clock import FakeClock
from airwave.runtime import Runtime
from tests.web.conftest import Account
from tests.web.sample import publish

HLS = "application/vnd.apple.mpegurl"


def _start(client: TestClient, account: Account, title: int) -> dict[str, object]:
    answer = client.post("/api/v1/playback", json={"title": title}, headers=account.auth)
    assert answer.status_code == 201, answer.text
    body: dict[str, object] = answer.json()
    return body


def test_session_url_serves_master_media_playlist_and_segments(client: TestClient, viewer: Account, film: int) -> None:
    body = _start(client, viewer, film)
    url = str(body["url"])
    assert re.fullmatch(rf"/p/[A-Za-z0-9_.-]+/t/{film}/master\.m3u8", url)
    assert body["resume_from"] == 0
    master = client.get(url)
    assert master.status_code == 200
    assert master.headers["content-type"].startswith(HLS)
    assert "no-store" in master.headers["cache-control"]
    assert "RESOLUTION=160x90" in master.text
    assert "180p/index.m3u8" in master.text
    base = url.rsplit("/", 1)[0]
    media = client.get(f"{base}/180p/index.m3u8")
    assert media.status_code == 200
    assert media.headers["content-type"].startswith(HLS)
    assert "no-store" in media.headers["cache-control"]
    segments = [line for line in media.text.splitlines() if line and not line.startswith("#")]
    assert segments == ["seg_00000.m4s", "seg_00001.m4s"]
    for name in ("init.mp4", *segments):
        part = client.get(f"{base}/180p/{name}")
        assert part.status_code == 200
        assert part.headers["content-type"] == "video/mp4"
        assert part.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert int(part.headers["content-length"]) == len(part.content) > 0
    ranged = client.get(f"{base}/180p/init.mp4", headers={"Range": "bytes=0-7"})
    assert ranged.status_code == 206
    assert len(ranged.content) == 8


def test_tampered_wrong_prefix_expired_and_ended_tokens_get_403(
    client: TestClient, viewer: Account, film: int, runtime: Runtime, sample: object, clock: FakeClock
) -> None:
    other = publish(runtime, sample, name="Other")  # type: ignore[arg-type]
    url = str(_start(client, viewer, film)["url"])
    token = url.split("/")[2]
    segment = f"/p/{token}/t/{film}/180p/seg_00000.m4s"
    assert client.get(segment).status_code == 200
    key_id, session_id, expiry, signature = token.split(".")
    tampered = [
        f"{key_id}.{session_id}.{expiry}.{signature[:-1]}{'A' if signature[-1] != 'A' else 'B'}",
        f"{key_id}.{session_id}.{int(expiry, 36) + 1000:x}.{signature}",
        f"{key_id}.someone-else.{expiry}.{signature}",
        f"9.{session_id}.{expiry}.{signature}",
        "garbage",
    ]
    for bad in tampered:
        answer = client.get(f"/p/{bad}/t/{film}/180p/seg_00000.m4s")
        assert answer.status_code == 403, bad
        assert b"ftyp" not in answer.content
        assert b"moof" not in answer.content
    wrong_prefix = client.get(f"/p/{token}/t/{other}/180p/seg_00000.m4s")
    assert wrong_prefix.status_code == 403
    assert client.get(f"/p/{token}/t/{other}/master.m3u8").status_code == 403
    clock.advance(runtime.settings.playback_ttl_seconds + 1)
    assert client.get(segment).status_code == 403
    assert client.get(url).status_code == 403


def test_ended_session_gets_403_and_only_owner_or_admin_may_end_it(
    client: TestClient, viewer: Account, other_viewer: Account, admin: Account, film: int
) -> None:
    first = _start(client, viewer, film)
    second = _start(client, viewer, film)
    segment = str(first["url"]).replace("master.m3u8", "180p/seg_00000.m4s")
    assert client.get(segment).status_code == 200
    assert client.delete(f"/api/v1/playback/{first['session_id']}", headers=other_viewer.auth).status_code == 403
    assert client.get(segment).status_code == 200
    assert client.delete(f"/api/v1/playback/{first['session_id']}", headers=viewer.auth).status_code == 204
    assert client.get(segment).status_code == 403
    assert client.get(str(first["url"])).status_code == 403
    assert client.delete(f"/api/v1/playback/{second['session_id']}", headers=admin.auth).status_code == 204
    assert client.delete("/api/v1/playback/nonexistent", headers=admin.auth).status_code == 404


def test_path_traversal_and_unlisted_files_are_never_served(
    client: TestClient, viewer: Account, film: int, runtime: Runtime
) -> None:
    (runtime.settings.media_dir / f"title-{film}" / "notes.txt").write_text("private")
    base = str(_start(client, viewer, film)["url"]).rsplit("/", 1)[0]
    for path in ("../../secret.key", "..%2F..%2Fsecret.key", "180p/../../../airwave.db", "notes.txt",
                 "180p/missing.m4s", "%2e%2e/%2e%2e/secret.key", "180p"):  # fmt: skip
        answer = client.get(f"{base}/{path}")
        assert answer.status_code in (403, 404), path
        assert b"private" not in answer.content
        assert runtime.secret.encode() not in answer.content


def test_series_missing_and_unpublished_titles_cannot_start(
    client: TestClient, admin: Account, viewer: Account
) -> None:
    series = client.post("/api/v1/titles", json={"name": "Show"}, headers=admin.auth).json()["id"]
    film = client.post("/api/v1/titles", json={"name": "Soon", "kind": "film"}, headers=admin.auth).json()["id"]
    answer = client.post("/api/v1/playback", json={"title": series}, headers=viewer.auth)
    assert answer.status_code == 400
    assert "series" in answer.json()["error"]["message"]
    assert client.post("/api/v1/playback", json={"title": 9999}, headers=viewer.auth).status_code == 404
    unpublished = client.post("/api/v1/playback", json={"title": film}, headers=viewer.auth)
    assert unpublished.status_code == 409
    assert "no playable media" in unpublished.json()["error"]["message"]
