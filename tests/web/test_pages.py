"""The subscriber pages: sign in and out, home rows, search, title pages and the player page."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi.testclient import TestClient

from airwave.catalog.titles import create_title
from airwave.delivery.progress import save_progress
from airwave.runtime import Runtime
from tests.web.conftest import PASSWORD, Account
from tests.web.sample import publish


def hidden_token(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]*)"', html)
    assert match, "the page has no CSRF field"
    return match.group(1)


def page_token(html: str) -> str:
    match = re.search(r'<meta name="csrf-token" content="([^"]+)"', html)
    assert match, "the page has no CSRF meta tag"
    return match.group(1)


def sign_in(client: TestClient, email: str, next_path: str = "/") -> str:
    """Sign in through the login form; returns the session's CSRF token."""
    form = client.get("/login")
    response = client.post(
        "/login",
        data={"email": email, "password": PASSWORD, "csrf_token": hidden_token(form.text), "next": next_path},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    assert "airwave_session" in client.cookies
    return page_token(client.get("/").text)


def test_pages_send_visitors_to_sign_in_and_back(client: TestClient, viewer: Account, film: int) -> None:
    response = client.get(f"/title/{film}", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == f"/login?next=%2Ftitle%2F{film}"
    form = client.get(response.headers["location"])
    assert form.status_code == 200
    assert f'name="next" value="/title/{film}"' in form.text
    signed_in = client.post(
        "/login",
        data={
            "email": viewer.email,
            "password": PASSWORD,
            "csrf_token": hidden_token(form.text),
            "next": f"/title/{film}",
        },
    )
    assert signed_in.status_code == 200
    assert "Night Train" in signed_in.text


def test_wrong_password_is_shown_on_the_form(client: TestClient, viewer: Account) -> None:
    form = client.get("/login")
    response = client.post(
        "/login", data={"email": viewer.email, "password": "nope-nope", "csrf_token": hidden_token(form.text)}
    )
    assert response.status_code == 401
    assert "do not match an account" in response.text
    assert f'value="{viewer.email}"' in response.text
    assert "airwave_session" not in client.cookies


def test_login_without_its_form_token_is_refused(client: TestClient, viewer: Account) -> None:
    response = client.post("/login", data={"email": viewer.email, "password": PASSWORD, "csrf_token": "forged"})
    assert response.status_code == 403
    assert "expired" in response.text
    assert "airwave_session" not in client.cookies


def test_login_never_redirects_off_site(client: TestClient, viewer: Account) -> None:
    form = client.get("/login")
    token = hidden_token(form.text)
    data = {"email": viewer.email, "password": PASSWORD, "csrf_token": token, "next": "//evil.example/"}
    response = client.post("/login", data=data, follow_redirects=False)
    assert response.headers["location"] == "/"


def test_logout_needs_the_csrf_token(client: TestClient, viewer: Account) -> None:
    token = sign_in(client, viewer.email)
    refused = client.post("/logout", data={"csrf_token": "wrong"})
    assert refused.status_code == 403
    assert client.get("/", follow_redirects=False).status_code == 200
    done = client.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    assert done.status_code == 303
    assert client.get("/", follow_redirects=False).status_code == 303


def test_home_has_rows_and_continue_watching(
    client: TestClient, runtime: Runtime, viewer: Account, sample: Path
) -> None:
    first = publish(runtime, sample, name="Night Train", genres=["Thriller"])
    publish(runtime, sample, name="Deep Blue", genres=["Nature", "Thriller"])
    with runtime.db.session() as session:
        create_title(session, runtime.clock, name="Not Ready Yet")  # no media: not offered to viewers
        save_progress(session, runtime.clock, viewer.id, first, position=30, duration=100)
    sign_in(client, viewer.email)
    home = client.get("/")
    assert home.status_code == 200
    for heading in ("Continue watching", "Recently added", "Thriller"):
        assert f">{heading}</h2>" in home.text
    assert ">Nature</h2>" not in home.text  # a genre row needs two titles
    assert f'href="/watch/{first}"' in home.text
    assert 'style="width: 30%"' in home.text
    assert "Not Ready Yet" not in home.text
    assert "Sign out" in home.text


def test_search_by_name_and_genre(client: TestClient, viewer: Account, film: int) -> None:
    sign_in(client, viewer.email)
    assert f'href="/title/{film}"' in client.get("/search", params={"q": "night"}).text
    assert f'href="/title/{film}"' in client.get("/search", params={"q": "thriller"}).text
    assert f'href="/title/{film}"' in client.get("/search", params={"genre": "Thriller"}).text
    missing = client.get("/search", params={"q": "zebra"})
    assert missing.status_code == 200
    assert "No matches" in missing.text


def test_film_page_offers_play_then_resume(client: TestClient, runtime: Runtime, viewer: Account, film: int) -> None:
    sign_in(client, viewer.email)
    page = client.get(f"/title/{film}")
    assert page.status_code == 200
    assert "A thriller on rails" in page.text
    assert f'href="/watch/{film}" data-play>' in page.text
    assert "Play</a>" in page.text
    with runtime.db.session() as session:
        save_progress(session, runtime.clock, viewer.id, film, position=60, duration=120)
    again = client.get(f"/title/{film}")
    assert "Resume</a>" in again.text
    assert "1m left" in again.text


def test_series_page_lists_seasons_and_episodes(
    client: TestClient, runtime: Runtime, viewer: Account, sample: Path
) -> None:
    with runtime.db.session() as session:
        series = create_title(session, runtime.clock, name="Signal Hill", kind="series", genres=["Drama"]).id
    pilot = publish(runtime, sample, name="Pilot", kind="episode", parent_id=series, season=1, episode=1)
    second = publish(runtime, sample, name="The Mast", kind="episode", parent_id=series, season=1, episode=2)
    later = publish(runtime, sample, name="Static", kind="episode", parent_id=series, season=2, episode=1)
    sign_in(client, viewer.email)
    page = client.get(f"/title/{series}")
    assert page.status_code == 200
    assert "Season 1" in page.text
    assert "Season 2" in page.text
    for episode in (pilot, second, later):
        assert f'href="/watch/{episode}"' in page.text
    assert "Play S1:E1</a>" in page.text
    with runtime.db.session() as session:
        save_progress(session, runtime.clock, viewer.id, pilot, position=2, duration=2)  # finished
    assert "Play S1:E2</a>" in client.get(f"/title/{series}").text
    assert client.get(f"/watch/{series}", follow_redirects=False).headers["location"] == f"/title/{series}"


def test_watch_page_carries_what_the_player_needs(client: TestClient, viewer: Account, film: int) -> None:
    sign_in(client, viewer.email)
    page = client.get(f"/watch/{film}")
    assert page.status_code == 200
    assert f'data-title-id="{film}"' in page.text
    assert f'data-thumbs="/art/{film}/thumbs.vtt"' in page.text
    assert page_token(page.text)
    assert "/static/build/player.js" in page.text
    for menu in ("quality", "audio", "subtitles"):
        assert f'data-menu="{menu}"' in page.text


def test_unknown_title_is_a_404_page(client: TestClient, viewer: Account) -> None:
    sign_in(client, viewer.email)
    page = client.get("/title/9999")
    assert page.status_code == 404
    assert "no title with id 9999" in page.text.lower()
    assert "Back to home" in page.text
    assert "Sign out" in page.text  # the error page still knows who is signed in


def test_static_assets_are_served(client: TestClient) -> None:
    for path in ("/static/css/base.css", "/static/css/portal.css", "/static/css/player.css", "/static/favicon.svg"):
        assert client.get(path).status_code == 200
