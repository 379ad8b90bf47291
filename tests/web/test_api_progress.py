from __future__ import annotations

from fastapi.testclient import TestClient

from tests.web.conftest import Account


def test_progress_round_trip_and_resume(client: TestClient, viewer: Account, other_viewer: Account, film: int) -> None:
    url = f"/api/v1/progress/{film}"
    assert client.get(url, headers=viewer.auth).json()["position"] == 0
    saved = client.put(url, json={"position": 42.5, "duration": 120}, headers=viewer.auth)
    assert saved.status_code == 200
    assert saved.json()["resume_from"] == 42.5
    assert client.get(url, headers=viewer.auth).json()["position"] == 42.5
    assert client.get(url, headers=other_viewer.auth).json()["position"] == 0, "progress is per account"
    started = client.post("/api/v1/playback", json={"title": film}, headers=viewer.auth)
    assert started.json()["resume_from"] == 42.5
    client.put(url, json={"position": 119, "duration": 120}, headers=viewer.auth)
    assert client.get(url, headers=viewer.auth).json()["resume_from"] == 0, "finished: start from the top"


def test_bad_progress_is_refused(client: TestClient, viewer: Account, film: int) -> None:
    assert client.put(f"/api/v1/progress/{film}", json={"position": -1}, headers=viewer.auth).status_code == 422
    assert client.put("/api/v1/progress/9999", json={"position": 1}, headers=viewer.auth).status_code == 404
