from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from airwave.accounts.users import authenticate
from airwave.cli.main import cli, register_commands
from airwave.config import load_settings
from airwave.runtime import open_runtime

register_commands()


def test_user_add_list_and_password(tmp_path: Path) -> None:
    runner = CliRunner()
    data = str(tmp_path / "var")
    add = ["--data", data, "user", "add", "Boss@Example.org", "--password", "secret123", "--admin"]
    added = runner.invoke(cli, add)
    assert added.exit_code == 0, added.output
    assert "created admin boss@example.org" in added.output
    runner.invoke(cli, ["--data", data, "user", "add", "viewer@example.org", "--password", "secret123"])
    listed = runner.invoke(cli, ["--data", data, "user", "list"])
    assert listed.exit_code == 0
    assert "admin       boss@example.org" in listed.output
    assert "subscriber  viewer@example.org" in listed.output
    changed = runner.invoke(cli, ["--data", data, "user", "password", "viewer@example.org", "--password", "newpass99"])
    assert changed.exit_code == 0, changed.output
    runtime = open_runtime(load_settings(data=tmp_path / "var"))
    try:
        with runtime.db.session() as session:
            assert authenticate(session, "viewer@example.org", "newpass99").role == "subscriber"
    finally:
        runtime.close()


def test_duplicate_and_weak_accounts_fail_with_a_message(tmp_path: Path) -> None:
    runner = CliRunner()
    data = str(tmp_path / "var")
    runner.invoke(cli, ["--data", data, "user", "add", "a@example.org", "--password", "secret123"])
    again = runner.invoke(cli, ["--data", data, "user", "add", "A@example.org", "--password", "secret123"])
    assert again.exit_code != 0
    assert "exists already" in str(again.exception)
    weak = runner.invoke(cli, ["--data", data, "user", "add", "b@example.org", "--password", "x"])
    assert weak.exit_code != 0
    assert "too short" in str(weak.exception)
