from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from airwave.catalog.titles import create_title, find_or_create_series
from airwave.cli.main import cli, register_commands
from airwave.config import load_settings
from airwave.runtime import open_runtime

register_commands()


def _seed(data: Path) -> tuple[int, int]:
    runtime = open_runtime(load_settings(data=data))
    try:
        with runtime.db.session() as session:
            film = create_title(session, runtime.clock, name="Night Train", year=1999, genres=["Thriller"])
            series = find_or_create_series(session, runtime.clock, "Harbour Lights")
            create_title(session, runtime.clock, name="Pilot", kind="episode", parent_id=series.id, season=1, episode=1)
            (runtime.settings.media_dir / "night-train").mkdir()
            film.media_path = "night-train"
            return film.id, series.id
    finally:
        runtime.close()


def test_titles_list_show_and_delete(tmp_path: Path) -> None:
    data = tmp_path / "var"
    film, series = _seed(data)
    runner = CliRunner()
    listed = runner.invoke(cli, ["--data", str(data), "titles", "list", "--json"])
    assert listed.exit_code == 0, listed.output
    assert [row["name"] for row in json.loads(listed.output)] == ["Harbour Lights", "Night Train"]
    found = runner.invoke(cli, ["--data", str(data), "titles", "list", "-q", "thrill"])
    assert "Night Train" in found.output
    assert "Harbour" not in found.output
    shown = json.loads(runner.invoke(cli, ["--data", str(data), "titles", "show", str(series)]).output)
    assert [episode["name"] for episode in shown["episodes"]] == ["Pilot"]
    refused = runner.invoke(cli, ["--data", str(data), "titles", "delete", str(film)], input="n\n")
    assert refused.exit_code != 0
    assert (data / "media" / "night-train").exists()
    deleted = runner.invoke(cli, ["--data", str(data), "titles", "delete", str(film), "--yes"])
    assert deleted.exit_code == 0, deleted.output
    assert "deleted film 'Night Train'" in deleted.output
    assert not (data / "media" / "night-train").exists()
