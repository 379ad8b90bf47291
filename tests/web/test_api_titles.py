from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from airwave.runtime import Runtime
from tests.web.conftest import Account
from tests.web.sample import publish


def test_title_detail_has_renditions_artwork_and_thumbnails(client: TestClient, viewer: Account, film: int) -> None:
    body = client.get(f"/api/v1/titles/{film}", headers=viewer.auth).json()
    assert body["name"] == "Night Train"
    assert body["kind"] == "film"
    assert body["genres"] == ["Thriller"]
    assert body["playable"] is True
    assert body["duration"] == 2.0
    assert body["poster_url"] == f"/art/{film}/poster.jpg"
    assert body["thumbnails"]["vtt_url"] == f"/art/{film}/thumbs.vtt"
    assert [r["name"] for r in body["renditions"]] == ["180p"]
    assert body["renditions"][0]["width"] == 160
    assert body["seasons"] == []


def test_admin_builds_a_series_and_episodes_group_by_season(
    client: TestClient, admin: Account, viewer: Account, runtime: Runtime, sample: Path
) -> None:
    created = client.post("/api/v1/titles", json={"name": "Harbour Lights", "genres": ["Drama"]}, headers=admin.auth)
    assert created.status_code == 201
    series = created.json()["id"]
    assert created.json()["kind"] == "series"
    for season, episode in ((2, 1), (1, 2)):
        body = {"name": f"S{season}E{episode}", "kind": "episode", "parent_id": series, "season": season,
                "episode": episode}  # fmt: skip
        assert client.post("/api/v1/titles", json=body, headers=admin.auth).status_code == 201
    publish(runtime, sample, name="Pilot", kind="episode", parent_id=series, season=1, episode=1)
    detail = client.get(f"/api/v1/titles/{series}", headers=viewer.auth).json()
    assert [(s["season"], [e["name"] for e in s["episodes"]]) for s in detail["seasons"]] == [
        (1, ["Pilot", "S1E2"]),
        (2, ["S2E1"]),
    ]
    assert detail["poster_url"] is not None, "a series borrows its first episode's poster"
    assert detail["playable"] is False


def test_search_and_filters(client: TestClient, admin: Account, viewer: Account) -> None:
    for name, genres in (("Night Train", ["Thriller"]), ("Big Laugh", ["Comedy"]), ("Quiet Days", ["Drama"])):
        client.post("/api/v1/titles", json={"name": name, "kind": "film", "genres": genres}, headers=admin.auth)

    def names(query: str) -> list[str]:
        answer = client.get(f"/api/v1/titles?{query}", headers=viewer.auth)
        assert answer.status_code == 200
        return [item["name"] for item in answer.json()["items"]]

    assert names("") == ["Quiet Days", "Big Laugh", "Night Train"]
    assert names("q=TRAIN") == ["Night Train"]
    assert names("q=comed") == ["Big Laugh"]
    assert names("genre=drama") == ["Quiet Days"]
    assert names("kind=series") == []
    assert names("limit=1&offset=1") == ["Big Laugh"]
    assert client.get("/api/v1/titles?kind=podcast", headers=viewer.auth).status_code == 422


def test_patch_changes_only_what_is_sent(client: TestClient, admin: Account, film: int) -> None:
    answer = client.patch(f"/api/v1/titles/{film}", json={"year": 1999, "genres": ["Noir"]}, headers=admin.auth)
    assert answer.status_code == 200
    assert (answer.json()["name"], answer.json()["year"], answer.json()["genres"]) == ("Night Train", 1999, ["Noir"])
    bad = client.patch(f"/api/v1/titles/{film}", json={"media_path": "/etc"}, headers=admin.auth)
    assert bad.status_code == 422
    assert client.patch(f"/api/v1/titles/{film}", json={"name": ""}, headers=admin.auth).status_code == 422
    assert client.patch("/api/v1/titles/9999", json={"year": 2000}, headers=admin.auth).status_code == 404


def test_delete_removes_the_media_folder(client: TestClient, admin: Account, viewer: Account, film: int,
                                         runtime: Runtime) -> None:  # fmt: skip
    folder = runtime.settings.media_dir / f"title-{film}"
    assert folder.is_dir()
    assert client.get(f"/art/{film}/poster.jpg").status_code == 200
    assert client.delete(f"/api/v1/titles/{film}", headers=admin.auth).status_code == 204
    assert not folder.exists()
    assert client.get(f"/api/v1/titles/{film}", headers=viewer.auth).status_code == 404
    assert client.get(f"/art/{film}/poster.jpg").status_code == 404
    assert client.delete(f"/api/v1/titles/{film}", headers=admin.auth).status_code == 404


def test_artwork_is_public_and_cacheable(client: TestClient, film: int) -> None:
    poster = client.get(f"/art/{film}/poster.jpg")
    assert poster.status_code == 200
    assert poster.headers["content-type"] == "image/jpeg"
    assert poster.content.startswith(b"\xff\xd8")
    assert "max-age" in poster.headers["cache-control"]
    vtt = client.get(f"/art/{film}/thumbs.vtt")
    assert vtt.headers["content-type"].startswith("text/vtt")
    assert vtt.text.startswith("WEBVTT")
    assert client.get(f"/art/{film}/180p/seg_00000.m4s").status_code == 404
    assert client.get(f"/art/{film}/index.m3u8").status_code == 404
    assert client.get("/art/9999/poster.jpg").status_code == 404
