"""POST /api/v1/jobs: uploading a video through the API queues an ingest job that publishes it."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from airwave.runtime import Runtime
from tests.media.clips import make_clip
from tests.web.conftest import Account


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_clip(tmp_path_factory.mktemp("upload") / "my clip.mp4", seconds=1)


def test_admin_uploads_a_video_and_the_job_publishes_it(
    client: TestClient, runtime: Runtime, admin: Account, clip: Path
) -> None:
    with clip.open("rb") as video:
        response = client.post(
            "/api/v1/jobs",
            headers=admin.auth,
            data={"name": "Uploaded Film", "year": "2024", "genres": "Drama, Comedy"},
            files={"file": ("my clip.mp4", video, "video/mp4")},
        )
    assert response.status_code == 201, response.text
    job = response.json()
    assert (job["state"], job["name"]) == ("queued", "Uploaded Film")
    done = wait_for_job(client, admin, job["id"])  # the server's job runner picks it up at once
    assert done["state"] == "done", done["message"]
    title = client.get(f"/api/v1/titles/{done['title_id']}", headers=admin.auth).json()
    assert (title["name"], title["year"]) == ("Uploaded Film", 2024)
    assert sorted(genre if isinstance(genre, str) else genre["name"] for genre in title["genres"]) == [
        "Comedy",
        "Drama",
    ]
    assert list(runtime.settings.uploads_dir.iterdir()) == [], "the upload is removed once published"


def wait_for_job(client: TestClient, admin: Account, job_id: int, timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        job: dict[str, Any] = client.get(f"/api/v1/jobs/{job_id}", headers=admin.auth).json()
        if job["state"] in ("done", "failed", "interrupted") or time.monotonic() > deadline:
            return job
        time.sleep(0.1)


def test_upload_without_a_file_is_refused_and_keeps_nothing(
    client: TestClient, runtime: Runtime, admin: Account
) -> None:
    response = client.post("/api/v1/jobs", headers=admin.auth, data={"name": "x"}, files={"other": ("a", b"1")})
    assert response.status_code == 400
    assert "file" in response.json()["error"]["message"]
    assert list(runtime.settings.uploads_dir.iterdir()) == []


def test_subscribers_cannot_upload(client: TestClient, viewer: Account, clip: Path) -> None:
    response = client.post(
        "/api/v1/jobs", headers=viewer.auth, data={"name": "x"}, files={"file": ("c.mp4", clip.read_bytes())}
    )
    assert response.status_code == 403
