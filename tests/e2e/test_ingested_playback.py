"""A title made by the real ingest plays through the API and the /p/ routes: every playlist and file resolves."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from airwave.catalog import ingest, jobs
from airwave.media.ffmpeg import find_ffmpeg
from airwave.media.synthetic import Clip, render_clip
from airwave.runtime import Runtime
from airwave.web.app import create_app
from tests.web.conftest import Account, make_account

pytestmark = pytest.mark.e2e


@pytest.fixture
def client(runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(runtime)) as test_client:
        yield test_client


def _uris(playlist: str) -> list[str]:
    uris = [line for line in playlist.splitlines() if line and not line.startswith("#")]
    for line in playlist.splitlines():
        if 'URI="' in line:
            uris.append(line.split('URI="', 1)[1].split('"', 1)[0])
    return uris


def test_ingested_title_plays_end_to_end(client: TestClient, runtime: Runtime, tmp_path: Path) -> None:
    viewer: Account = make_account(runtime, "viewer@example.org", "subscriber")
    admin: Account = make_account(runtime, "admin@example.org", "admin")
    source = render_clip(
        find_ffmpeg(runtime.settings),
        Clip(title="Ingested", seconds=2, width=320, height=180, subtitles=("eng",)),
        tmp_path / "ingested.mp4",
    )
    with runtime.db.session() as session:
        job = jobs.submit(session, runtime.clock, source=source, name="Ingested", options={"genres": ["Demo"]})
    title = ingest.run_job(runtime, job.id).id

    detail = client.get(f"/api/v1/titles/{title}", headers=viewer.auth).json()
    assert detail["playable"] is True
    assert {r["kind"] for r in detail["renditions"]} >= {"video"}
    assert client.get(detail["poster_url"]).status_code == 200
    job_view = client.get(f"/api/v1/jobs/{job.id}", headers=admin.auth).json()
    assert (job_view["state"], job_view["title_id"]) == ("done", title)

    url = client.post("/api/v1/playback", json={"title": title}, headers=viewer.auth).json()["url"]
    base = url.rsplit("/", 1)[0]
    master = client.get(url)
    assert master.status_code == 200
    fetched = 0
    for playlist_uri in _uris(master.text):
        media = client.get(f"{base}/{playlist_uri}")
        assert media.status_code == 200, playlist_uri
        folder = playlist_uri.rsplit("/", 1)[0]
        for uri in _uris(media.text):
            part = client.get(f"{base}/{folder}/{uri}")
            assert part.status_code == 200, f"{folder}/{uri}"
            # Content keys are personal (no-store); segments and init sections are shared.
            assert part.headers["cache-control"].startswith("private" if uri.endswith(".key") else "public")
            fetched += 1
    assert fetched >= 4
