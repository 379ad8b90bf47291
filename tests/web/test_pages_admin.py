"""The admin pages: dashboard, titles (edit, new series, delete), upload, ingest jobs; CSRF on every form."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from airwave.catalog import jobs
from airwave.catalog.titles import create_title, get_title
from airwave.runtime import Runtime
from airwave.store.tables import IngestJob, Title
from airwave.web.app import create_app
from tests.web.conftest import Account
from tests.web.test_pages import hidden_token, sign_in


@pytest.fixture
def admin_client(client: TestClient, admin: Account) -> TestClient:
    sign_in(client, admin.email)
    return client


def token_of(client: TestClient, path: str) -> str:
    return hidden_token(client.get(path).text)


def test_subscribers_are_kept_out(client: TestClient, viewer: Account) -> None:
    sign_in(client, viewer.email)
    for path in ("/admin", "/admin/titles", "/admin/upload", "/admin/jobs"):
        response = client.get(path)
        assert response.status_code == 403, path
        assert "admin account" in response.text


def test_dashboard_counts_and_recent_jobs(admin_client: TestClient, runtime: Runtime, film: int) -> None:
    with runtime.db.session() as session:
        jobs.submit(
            session, runtime.clock, source=runtime.settings.uploads_dir / "x.mp4", name="Queued One", options={}
        )
    page = admin_client.get("/admin")
    assert page.status_code == 200
    assert "Dashboard" in page.text
    assert "Queued One" in page.text
    assert "Night Train" in page.text
    assert 'class="stat__value">1</div>' in page.text


def test_titles_table_searches(admin_client: TestClient, runtime: Runtime, film: int) -> None:
    with runtime.db.session() as session:
        create_title(session, runtime.clock, name="Signal Hill", kind="series")
    everything = admin_client.get("/admin/titles")
    assert "Night Train" in everything.text
    assert "Signal Hill" in everything.text
    only = admin_client.get("/admin/titles", params={"q": "night"})
    assert "Night Train" in only.text
    assert "Signal Hill" not in only.text
    series = admin_client.get("/admin/titles", params={"kind": "series"})
    assert "Signal Hill" in series.text
    assert "Night Train" not in series.text


def test_edit_saves_valid_changes(admin_client: TestClient, runtime: Runtime, film: int) -> None:
    form = admin_client.get(f"/admin/titles/{film}/edit")
    assert 'value="Night Train"' in form.text
    data = {"csrf_token": hidden_token(form.text), "name": "Night Train Redux", "description": "Faster.",
            "year": "2025", "genres": "Thriller, Drama"}  # fmt: skip
    response = admin_client.post(f"/admin/titles/{film}/edit", data=data, follow_redirects=False)
    assert response.status_code == 303
    assert "Saved" in admin_client.get(response.headers["location"]).text  # the flash message
    with runtime.db.session() as session:
        title = get_title(session, film)
        assert (title.name, title.year, [g.name for g in title.genres]) == (
            "Night Train Redux",
            2025,
            ["Drama", "Thriller"],
        )


def test_edit_shows_problems_inline_and_changes_nothing(admin_client: TestClient, runtime: Runtime, film: int) -> None:
    token = token_of(admin_client, f"/admin/titles/{film}/edit")
    data = {"csrf_token": token, "name": "", "year": "20x5", "genres": "Thriller"}
    response = admin_client.post(f"/admin/titles/{film}/edit", data=data)
    assert response.status_code == 400
    assert "Enter a name." in response.text
    assert "Enter a year such as 2024." in response.text
    assert 'value="20x5"' in response.text  # what was typed stays in the form
    with runtime.db.session() as session:
        assert get_title(session, film).name == "Night Train"


def test_edit_without_csrf_token_is_refused(admin_client: TestClient, runtime: Runtime, film: int) -> None:
    response = admin_client.post(f"/admin/titles/{film}/edit", data={"name": "Hijacked"})
    assert response.status_code == 403
    with runtime.db.session() as session:
        assert get_title(session, film).name == "Night Train"


def test_new_series(admin_client: TestClient, runtime: Runtime) -> None:
    token = token_of(admin_client, "/admin/titles/new")
    empty = admin_client.post("/admin/titles/new", data={"csrf_token": token, "name": " "})
    assert empty.status_code == 400
    assert "Enter a name." in empty.text
    created = admin_client.post(
        "/admin/titles/new",
        data={"csrf_token": token, "name": "Signal Hill", "genres": "Drama"},
        follow_redirects=False,
    )
    assert created.status_code == 303
    with runtime.db.session() as session:
        series = session.scalars(select(Title).where(Title.name == "Signal Hill")).one()
        assert series.kind == "series"
    assert admin_client.post("/admin/titles/new", data={"name": "Forged"}).status_code == 403


def test_delete_asks_then_removes_title_and_media(admin_client: TestClient, runtime: Runtime, film: int) -> None:
    with runtime.db.session() as session:
        folder = runtime.settings.media_dir / str(get_title(session, film).media_path)
    assert folder.is_dir()
    confirm = admin_client.get(f"/admin/titles/{film}/delete")
    assert confirm.status_code == 200
    assert "cannot be undone" in confirm.text
    assert admin_client.post(f"/admin/titles/{film}/delete", data={"csrf_token": "bad"}).status_code == 403
    assert folder.is_dir()
    deleted = admin_client.post(f"/admin/titles/{film}/delete", data={"csrf_token": hidden_token(confirm.text)})
    assert deleted.status_code == 200
    assert "Deleted" in deleted.text
    assert not folder.exists()
    assert admin_client.get(f"/admin/titles/{film}/edit").status_code == 404


def upload_form(token: str, **fields: str) -> dict[str, str]:
    return {"csrf_token": token, "name": "Home Movie", "year": "2024", "genres": "Family", **fields}


def test_upload_saves_the_file_and_queues_a_job(admin_client: TestClient, runtime: Runtime) -> None:
    token = token_of(admin_client, "/admin/upload")
    files = {
        "file": ('my film\'s "cut".mp4', b"\x00\x00\x00\x18ftypmp42" + b"x" * 5000, "video/mp4"),
        "subtitles": ("subs.srt", b"1\n00:00:01,000 --> 00:00:02,000\nHello\n", "application/x-subrip"),
    }
    data = upload_form(token, series="Family Album", season="1", episode="2", subtitle_language="eng")
    response = admin_client.post("/admin/upload", data=data, files=files, follow_redirects=False)
    assert response.status_code == 303, response.text
    with runtime.db.session() as session:
        job = session.scalars(select(IngestJob)).one()
    assert response.headers["location"] == f"/admin/jobs/{job.id}"
    assert job.name == "Home Movie"
    assert job.options["delete_source"] is True
    assert (job.options["series"], job.options["season"], job.options["episode"]) == ("Family Album", 1, 2)
    assert job.options["genres"] == ["Family"]
    source = runtime.settings.uploads_dir / job.source.rsplit("/", 1)[-1]
    assert source.parent.resolve() == runtime.settings.uploads_dir.resolve()
    assert source.read_bytes().startswith(b"\x00\x00\x00\x18ftyp")
    assert source.name.endswith("my film_s _cut_.mp4")
    subtitle_path, language = job.options["subtitles"][0]
    assert language == "eng"
    assert subtitle_path.endswith("subs.srt")
    page = admin_client.get(response.headers["location"])
    assert "Home Movie" in page.text
    assert "data-job-page" in page.text


def test_upload_problems_are_shown_and_nothing_is_kept(admin_client: TestClient, runtime: Runtime) -> None:
    token = token_of(admin_client, "/admin/upload")
    files = {"file": ("empty.mp4", b"", "video/mp4"), "subtitles": ("notes.txt", b"hello", "text/plain")}
    response = admin_client.post("/admin/upload", data=upload_form(token, name="", season="2"), files=files)
    assert response.status_code == 400
    assert "empty.mp4 is empty (0 bytes)" in response.text
    assert "Enter a name." in response.text
    assert "Season and episode need a series" in response.text
    assert "notes.txt is not a subtitle file" in response.text
    assert list(runtime.settings.uploads_dir.iterdir()) == []
    with runtime.db.session() as session:
        assert session.scalars(select(IngestJob)).first() is None


def test_upload_without_csrf_token_writes_nothing(admin_client: TestClient, runtime: Runtime) -> None:
    files = {"file": ("film.mp4", b"x" * 1000, "video/mp4")}
    response = admin_client.post("/admin/upload", data=upload_form("forged"), files=files)
    assert response.status_code == 403
    assert list(runtime.settings.uploads_dir.iterdir()) == []


@pytest.fixture
def small_limit_client(runtime: Runtime, admin: Account) -> Iterator[TestClient]:
    limited = dataclasses.replace(runtime, settings=runtime.settings.model_copy(update={"upload_max_mb": 1}))
    with TestClient(create_app(limited)) as test_client:
        sign_in(test_client, admin.email)
        yield test_client


def test_upload_over_the_limit_is_refused(small_limit_client: TestClient, runtime: Runtime) -> None:
    token = token_of(small_limit_client, "/admin/upload")
    files = {"file": ("big.mp4", b"x" * 1_500_000, "video/mp4")}
    response = small_limit_client.post("/admin/upload", data=upload_form(token), files=files)
    assert response.status_code == 413
    assert "larger than the limit of 1 MB" in response.text
    assert list(runtime.settings.uploads_dir.iterdir()) == []


def test_jobs_list_page_and_status(admin_client: TestClient, runtime: Runtime) -> None:
    with runtime.db.session() as session:
        job = jobs.submit(
            session, runtime.clock, source=runtime.settings.uploads_dir / "a.mp4", name="Clip", options={}
        )
        job.state, job.progress, job.message = "encoding", 0.42, "encoding 360p"
        job_id = job.id
    listing = admin_client.get("/admin/jobs")
    assert listing.status_code == 200
    assert f'data-job-id="{job_id}" data-state="encoding"' in listing.text
    assert "42%" in listing.text
    assert "Clip" in admin_client.get(f"/admin/jobs/{job_id}").text
    status = admin_client.get("/admin/jobs/status", params={"ids": f"{job_id},999"}).json()
    assert status == {"jobs": [{"id": job_id, "state": "encoding", "state_label": "Encoding", "progress": 0.42,
                                "message": "encoding 360p", "title_id": None}]}  # fmt: skip
    assert admin_client.get("/admin/jobs/999").status_code == 404
