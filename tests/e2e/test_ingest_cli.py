"""``airwave ingest`` through Click: output, progress lines, errors and exit statuses."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, text

from airwave.cli.ingest import _subtitle_option
from airwave.cli.main import cli, register_commands
from tests.media.clips import SRT, make_clip

pytestmark = pytest.mark.e2e

ENV = {"AIRWAVE_LADDER": "360,180", "AIRWAVE_X264_PRESET": "ultrafast", "AIRWAVE_SEGMENT_SECONDS": "1"}


@pytest.fixture(scope="module")
def runner() -> CliRunner:
    register_commands()
    return CliRunner(env=ENV)


def invoke(runner: CliRunner, data: Path, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(cli, ["--data", str(data), "ingest", *args])
    return result.exit_code, result.stdout, result.stderr


def rows(data: Path, query: str) -> list[tuple[object, ...]]:
    engine = create_engine(f"sqlite:///{data / 'airwave.db'}")
    with engine.connect() as connection:
        found = [tuple(row) for row in connection.execute(text(query))]
    engine.dispose()
    return found


def test_json_prints_the_new_title(runner: CliRunner, tmp_path: Path) -> None:
    clip = make_clip(tmp_path / "my film.mp4", seconds=1, languages=("eng", "spa"))
    (tmp_path / "subs.srt").write_text(SRT)
    args = ["--title", "My Film", "--year", "2020", "--genre", "Drama", "--genre", "Comedy"]
    status, out, err = invoke(runner, tmp_path / "var", str(clip), *args, "--subtitles", f"{tmp_path}/subs.srt:fr",
                              "--json")  # fmt: skip
    assert status == 0, err
    shown = json.loads(out)
    assert rows(tmp_path / "var", "SELECT id, name, year FROM titles") == [(shown["id"], "My Film", 2020)]
    assert [(r["kind"], r["language"]) for r in shown["renditions"]] == [
        ("video", None), ("audio", "en"), ("audio", "es"), ("subtitles", "fr"),
    ]  # fmt: skip
    assert "encoding" in err  # progress lines go to stderr when it is not a terminal


def test_human_output_and_episodes(runner: CliRunner, tmp_path: Path) -> None:
    clip = make_clip(tmp_path / "ep.mp4", seconds=1)
    status, out, err = invoke(runner, tmp_path / "var", str(clip), "--title", "Pilot", "--series", "Show",
                              "--season", "1", "--episode", "1")  # fmt: skip
    assert status == 0, err
    assert out.startswith("published 'Pilot' as title 2: 1.0 s; video 90p; audio en")
    assert rows(tmp_path / "var", "SELECT kind, name FROM titles ORDER BY id") == [("series", "Show"),
                                                                                   ("episode", "Pilot")]  # fmt: skip


def test_bad_file_exits_1_naming_the_file(runner: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello\n" * 40)
    status, _out, err = invoke(runner, tmp_path / "var", str(tmp_path / "notes.txt"), "--title", "Notes")
    assert status == 1
    assert "notes.txt is not a video file ffmpeg can read" in err
    assert rows(tmp_path / "var", "SELECT count(*) FROM titles") == [(0,)]


def test_missing_file_exits_1(runner: CliRunner, tmp_path: Path) -> None:
    status, _out, err = invoke(runner, tmp_path / "var", str(tmp_path / "nope.mp4"), "--title", "Nope")
    assert status == 1
    assert "nope.mp4 does not exist" in err


@pytest.mark.parametrize(
    ("option", "parsed"),
    [("subs.srt", ["subs.srt", None]), ("subs.srt:fr", ["subs.srt", "fr"]), ("a:b.srt", ["a:b.srt", None]),
     ("dir/subs.vtt:eng", ["dir/subs.vtt", "eng"])],
)  # fmt: skip
def test_subtitle_option_parsing(option: str, parsed: list[str | None]) -> None:
    assert _subtitle_option(option) == parsed
