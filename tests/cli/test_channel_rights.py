"""``airwave channel territories`` and ``airwave channel blackout add|list|remove|programmes``."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from click.testing import CliRunner, Result

from airwave.channels.epg import add_programme
from airwave.channels.service import create_channel
from airwave.channels.xmltv import XProgramme
from airwave.cli.main import cli, register_commands
from airwave.runtime import Runtime
from airwave.store.accounts import Blackout
from airwave.store.channels import Channel

register_commands()
SOON = dt.datetime.now(dt.UTC).replace(second=0, microsecond=0) + dt.timedelta(hours=2)


@pytest.fixture
def shell(runtime: Runtime) -> CliRunner:
    """A shell whose commands use the test's data folder and database (SQLite or PostgreSQL)."""
    return CliRunner(env={"AIRWAVE_DATA": str(runtime.settings.data), "AIRWAVE_DATABASE_URL": runtime.settings.db_url})


@pytest.fixture
def cup(runtime: Runtime) -> int:
    """Channel "sport" with "Cup Final" in two hours; channel "news" with a programme of its own."""
    with runtime.db.session() as session:
        sport, news = (
            create_channel(session, runtime.settings, runtime.clock, slug, name=name, source_url="push:rtmp")
            for slug, name in (("sport", "Sport One"), ("news", "News 24"))
        )
        add_programme(session, news, XProgramme("", SOON, SOON + dt.timedelta(hours=1), "Headlines"))
        return add_programme(session, sport, XProgramme("", SOON, SOON + dt.timedelta(hours=2), "Cup Final")).id


def run(shell: CliRunner, *args: str) -> Result:
    return shell.invoke(cli, ["channel", *args])


def test_territories_are_shown_set_and_cleared(shell: CliRunner, runtime: Runtime, cup: int) -> None:
    assert run(shell, "territories", "sport").output == "sport may be watched everywhere\n"
    limited = run(shell, "territories", "sport", "--set", "gb, ie")
    assert limited.exit_code == 0, limited.output
    assert limited.output == "sport may be watched only in GB IE\n"
    with runtime.db.session() as session:
        assert session.query(Channel).filter_by(slug="sport").one().territories == "GB IE"
    assert run(shell, "territories", "sport", "--clear").output == "sport may be watched everywhere\n"


@pytest.mark.parametrize(
    ("args", "status", "message"),
    [
        (("territories", "nope", "--set", "GB"), 1, "Error: no channel 'nope'; `airwave channel list` shows them"),
        (("territories", "sport", "--set", "GB,GBR"), 1,
         "Error: 'GBR' is not a country code: use two letters such as GB, DE or US"),
        (("territories", "sport", "--set", "GB", "--clear"), 2, "give --set CODES or --clear, not both"),
        (("territories", "sport", "--set", " , "), 2, "--set needs at least one country code"),
    ],
)  # fmt: skip
def test_territory_mistakes_are_explained(
    shell: CliRunner, runtime: Runtime, cup: int, args: tuple[str, ...], status: int, message: str
) -> None:
    result = run(shell, *args)
    assert result.exit_code == status
    assert message in result.output
    with runtime.db.session() as session:
        assert session.query(Channel).filter_by(slug="sport").one().territories == ""


def test_blackouts_are_added_listed_and_removed(shell: CliRunner, runtime: Runtime, cup: int) -> None:
    listed = run(shell, "blackout", "programmes", "sport")
    assert listed.exit_code == 0, listed.output
    assert f"{cup:>8}  {SOON:%Y-%m-%d %H:%M}-" in listed.output
    assert "Cup Final" in listed.output
    assert "Headlines" not in listed.output
    added = run(shell, "blackout", "add", "sport", "--programme", str(cup), "--territories", "GB,IE")
    assert added.exit_code == 0, added.output
    assert f"Cup Final {SOON:%Y-%m-%d %H:%M}-" in added.output
    assert added.output.strip().endswith("UTC in GB IE")
    start = (SOON - dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")  # no offset: UTC
    stop = (SOON - dt.timedelta(minutes=30)).isoformat()
    timed = run(shell, "blackout", "add", "sport", "--start", start, "--stop", stop, "--territories", "de",
                "--note", "Test card")  # fmt: skip
    assert timed.exit_code == 0, timed.output
    rows = json.loads(run(shell, "blackout", "list", "sport", "--json").output)
    assert [(row["note"], row["territories"]) for row in rows] == [("Test card", ["DE"]), ("Cup Final", ["GB", "IE"])]
    assert dt.datetime.fromisoformat(rows[0]["start"]) == SOON - dt.timedelta(hours=1)
    assert rows[1]["programme_id"] == cup
    table = run(shell, "blackout", "list", "sport").output.splitlines()
    assert [line.split()[0] for line in table] == [str(rows[0]["id"]), str(rows[1]["id"])]
    removed = run(shell, "blackout", "remove", "sport", str(rows[0]["id"]))
    assert removed.exit_code == 0, removed.output
    assert removed.output.startswith(f"lifted blackout {rows[0]['id']} of sport: Test card")
    gone = run(shell, "blackout", "remove", "sport", str(rows[0]["id"]))
    assert gone.exit_code == 1
    assert f"Error: Sport One has no blackout {rows[0]['id']}" in gone.output
    with runtime.db.session() as session:
        assert [rule.note for rule in session.query(Blackout).all()] == ["Cup Final"]


@pytest.mark.parametrize(
    ("args", "status", "message"),
    [
        (("nope", "--programme", "1", "--territories", "GB"), 1, "Error: no channel 'nope'"),
        (("news", "--programme", "{cup}", "--territories", "GB"), 1,
         "Error: programme {cup} is not in News 24's guide"),
        (("sport", "--programme", "{cup}", "--territories", "G8"), 1, "Error: 'G8' is not a country code"),
        (("sport", "--programme", "{cup}", "--territories", ""), 1,
         "Error: name the territories the blackout applies to"),
        (("sport", "--territories", "GB"), 2, "give --programme ID, or both --start and --stop"),
        (("sport", "--programme", "{cup}", "--start", "2030-01-01T10:00", "--stop", "2030-01-01T11:00",
          "--territories", "GB"), 2, "not both ways"),
        (("sport", "--start", "tonight", "--stop", "2030-01-01T11:00", "--territories", "GB"), 2,
         "'tonight' is not a time: write it like 2027-05-01T19:45Z"),
        (("sport", "--start", "2030-01-01T11:00", "--stop", "2030-01-01T10:00", "--territories", "GB"), 1,
         "Error: a blackout must end after it starts"),
    ],
)  # fmt: skip
def test_blackout_mistakes_are_explained(
    shell: CliRunner, runtime: Runtime, cup: int, args: tuple[str, ...], status: int, message: str
) -> None:
    result = run(shell, "blackout", "add", *(arg.format(cup=cup) for arg in args))
    assert result.exit_code == status, result.output
    assert message.format(cup=cup) in result.output
    with runtime.db.session() as session:
        assert session.query(Blackout).count() == 0


def test_listing_an_unknown_channel_fails(shell: CliRunner, cup: int) -> None:
    assert run(shell, "blackout", "list", "sport").output == "sport has no blackouts to come\n"
    missing = run(shell, "blackout", "list", "nope")
    assert missing.exit_code == 1
    assert "Error: no channel 'nope'" in missing.output
