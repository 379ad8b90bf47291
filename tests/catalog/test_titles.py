from __future__ import annotations

import pytest

from airwave.catalog import titles
from airwave.clock import FakeClock
from airwave.errors import BadRequest, NotFound
from airwave.runtime import Runtime


def _seed(runtime: Runtime, clock: FakeClock) -> dict[str, int]:
    with runtime.db.session() as session:
        film = titles.create_title(
            session, clock, name="Night Train", description="A thriller on rails", year=1999, genres=["Thriller"]
        )
        clock.advance(1)
        comedy = titles.create_title(session, clock, name="Big Laugh", genres=["Comedy", "Family"])
        clock.advance(1)
        series = titles.find_or_create_series(session, clock, "Harbour Lights")
        clock.advance(1)
        ids = {"film": film.id, "comedy": comedy.id, "series": series.id}
        for season, episode in ((2, 1), (1, 2), (1, 1)):
            item = titles.create_title(
                session, clock, name=f"S{season}E{episode}", kind="episode", parent_id=series.id,
                season=season, episode=episode,
            )  # fmt: skip
            ids[f"s{season}e{episode}"] = item.id
    return ids


def _names(found: list[titles.Title]) -> list[str]:
    return [item.name for item in found]


def test_search_is_case_insensitive_on_name_description_and_genre(runtime: Runtime, clock: FakeClock) -> None:
    _seed(runtime, clock)
    with runtime.db.session() as session:
        assert _names(titles.list_titles(session, query="NIGHT")) == ["Night Train"]
        assert _names(titles.list_titles(session, query="on RAILS")) == ["Night Train"]
        assert _names(titles.list_titles(session, query="famil")) == ["Big Laugh"]
        assert _names(titles.list_titles(session, query="100%")) == []
        assert _names(titles.list_titles(session, query="_")) == []
        assert _names(titles.list_titles(session, genre="comedy")) == ["Big Laugh"]


def test_listing_is_newest_first_and_episodes_are_apart(runtime: Runtime, clock: FakeClock) -> None:
    _seed(runtime, clock)
    with runtime.db.session() as session:
        assert _names(titles.list_titles(session)) == ["Harbour Lights", "Big Laugh", "Night Train"]
        assert _names(titles.list_titles(session, kind="film", limit=1)) == ["Big Laugh"]
        assert _names(titles.list_titles(session, kind="film", limit=1, offset=1)) == ["Night Train"]
        assert len(titles.list_titles(session, kind="episode")) == 3
        with pytest.raises(BadRequest):
            titles.list_titles(session, kind="podcast")


def test_series_groups_episodes_by_season_in_order(runtime: Runtime, clock: FakeClock) -> None:
    ids = _seed(runtime, clock)
    with runtime.db.session() as session:
        grouped = titles.episodes_by_season(session, ids["series"])
        assert {season: _names(items) for season, items in grouped.items()} == {1: ["S1E1", "S1E2"], 2: ["S2E1"]}
        assert titles.find_or_create_series(session, clock, "harbour lights").id == ids["series"]


def test_invalid_titles_are_refused(runtime: Runtime, clock: FakeClock) -> None:
    ids = _seed(runtime, clock)
    with runtime.db.session() as session:
        with pytest.raises(BadRequest, match="needs a name"):
            titles.create_title(session, clock, name="  ")
        with pytest.raises(BadRequest, match="id of its series"):
            titles.create_title(session, clock, name="x", kind="episode")
        with pytest.raises(BadRequest, match="not a series"):
            titles.create_title(session, clock, name="x", kind="episode", parent_id=ids["film"])
        with pytest.raises(NotFound):
            titles.create_title(session, clock, name="x", kind="episode", parent_id=9999)
        with pytest.raises(BadRequest, match="no series"):
            titles.create_title(session, clock, name="x", season=1)
        with pytest.raises(BadRequest, match="year"):
            titles.create_title(session, clock, name="x", year=12)
        with pytest.raises(NotFound):
            titles.get_title(session, 9999)


def test_update_changes_fields_and_genres(runtime: Runtime, clock: FakeClock) -> None:
    ids = _seed(runtime, clock)
    clock.advance(60)
    with runtime.db.session() as session:
        updated = titles.update_title(
            session, clock, ids["film"], name="Night Train (Director's Cut)", year=2001, genres=["Drama", "drama"]
        )
        assert updated.updated_at == clock.now()
    with runtime.db.session() as session:
        film = titles.get_title(session, ids["film"])
        assert (film.name, film.year, [g.name for g in film.genres]) == (
            "Night Train (Director's Cut)",
            2001,
            ["Drama"],
        )
        with pytest.raises(BadRequest, match="cannot change media_path"):
            titles.update_title(session, clock, ids["film"], media_path="/etc")


def test_delete_series_removes_episodes_and_their_media_after_commit(runtime: Runtime, clock: FakeClock) -> None:
    ids = _seed(runtime, clock)
    media = runtime.settings.media_dir
    with runtime.db.session() as session:
        for key in ("film", "s1e1", "s2e1"):
            titles.get_title(session, ids[key]).media_path = f"title-{ids[key]}"
            (media / f"title-{ids[key]}" / "180p").mkdir(parents=True)
            (media / f"title-{ids[key]}" / "180p" / "seg_00001.m4s").write_bytes(b"x")
    with runtime.db.session() as session:
        titles.delete_title(session, runtime.settings, ids["series"])
        assert (media / f"title-{ids['s1e1']}").exists(), "files stay until the deletion is committed"
    assert not (media / f"title-{ids['s1e1']}").exists()
    assert not (media / f"title-{ids['s2e1']}").exists()
    assert (media / f"title-{ids['film']}").exists()
    with runtime.db.session() as session:
        assert titles.list_titles(session, kind="episode") == []
        assert _names(titles.list_titles(session)) == ["Big Laugh", "Night Train"]


def test_rolled_back_delete_keeps_the_media(runtime: Runtime, clock: FakeClock) -> None:
    ids = _seed(runtime, clock)
    folder = runtime.settings.media_dir / "keep"
    folder.mkdir()
    with runtime.db.session() as session:
        titles.get_title(session, ids["film"]).media_path = "keep"

    def delete_then_fail() -> None:
        with runtime.db.session() as session:
            titles.delete_title(session, runtime.settings, ids["film"])
            raise RuntimeError("something later in the unit of work failed")

    with pytest.raises(RuntimeError):
        delete_then_fail()
    assert folder.exists()
    with runtime.db.session() as session:
        assert titles.get_title(session, ids["film"]).name == "Night Train"


def test_media_path_outside_the_media_dir_is_never_removed(runtime: Runtime, clock: FakeClock) -> None:
    ids = _seed(runtime, clock)
    outside = runtime.settings.data / "precious"
    outside.mkdir()
    with runtime.db.session() as session:
        titles.get_title(session, ids["film"]).media_path = "../precious"
    with runtime.db.session() as session:
        titles.delete_title(session, runtime.settings, ids["film"])
    assert outside.exists()
