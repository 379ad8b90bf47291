"""Changes made from the shell are in the audit log, under the operator's login and host, as the web's are."""

from __future__ import annotations

import getpass
import socket

import pytest
from click.testing import CliRunner

from airwave.accounts import audit
from airwave.catalog.titles import create_title
from airwave.channels.service import create_channel
from airwave.cli.main import cli, register_commands
from airwave.runtime import Runtime

register_commands()
CUP = ("--start", "2031-05-01T19:45Z", "--stop", "2031-05-01T22:00Z", "--territories", "GB", "--note", "Cup Final")


@pytest.fixture
def shell(runtime: Runtime) -> CliRunner:
    """A shell whose commands use the test's data folder and database (SQLite or PostgreSQL)."""
    return CliRunner(env={"AIRWAVE_DATA": str(runtime.settings.data), "AIRWAVE_DATABASE_URL": runtime.settings.db_url})


def test_shell_changes_are_audited_under_the_operator(shell: CliRunner, runtime: Runtime) -> None:
    with runtime.db.session() as session:
        create_channel(session, runtime.settings, runtime.clock, "sport", name="Sport One", source_url="push:rtmp")
        film = create_title(session, runtime.clock, name="Night Train").id
    commands = [
        ["user", "add", "viewer@example.org", "--password", "secret123"],
        ["user", "password", "viewer@example.org", "--password", "newpass99"],
        ["package", "add", "sports", "--name", "Sports", "--channel", "sport", "--addon", "--price", "4.99"],
        ["plan", "add", "basic", "--name", "Basic", "--price", "9.99", "--streams", "1"],
        ["plan", "edit", "basic", "--price", "10.99"],
        ["plan", "delete", "basic"],
        ["voucher", "add", "--percent", "50", "--code", "HALF", "--uses", "10", "--note", "Hotel Bellevue"],
        ["channel", "territories", "sport", "--set", "GB,IE"],
        ["channel", "blackout", "add", "sport", *CUP],
        ["channel", "blackout", "remove", "sport", "1"],
        ["channel", "key", "sport"],
        ["channel", "delete", "sport", "--yes"],
        ["titles", "delete", str(film), "--yes"],
        ["channel", "blackout", "list", "news"],  # fails: nothing changed, nothing logged
        ["plan", "list"],  # reads are not logged
    ]
    for command in commands:
        shell.invoke(cli, command)
    with runtime.db.session() as session:
        entries = [(e.action, e.target, e.detail) for e in reversed(audit.events(session))]
        actors = {(e.actor_id, e.actor_email, e.client_ip) for e in audit.events(session)}
    user_id = int(entries[0][1].split(":")[1])
    assert entries == [
        ("user.create", f"user:{user_id}", "subscriber viewer@example.org"),
        ("user.password", f"user:{user_id}", "viewer@example.org: 0 login(s) ended"),
        ("package.create", "package:sports", "Sports: add-on at €4.99 a month; channels sport; 0 titles; genres none"),
        ("plan.create", "plan:basic",
         "Basic: €9.99 a month, 1 streams, 5 devices, no trial, public, binding none, everything"),
        ("plan.edit", "plan:basic",
         "Basic: €10.99 a month, 1 streams, 5 devices, no trial, public, binding none, everything"),
        ("plan.delete", "plan:basic",
         "Basic: €10.99 a month, 1 streams, 5 devices, no trial, public, binding none, everything"),
        ("voucher.create", "voucher:HALF", "50 % off the next invoice, 10 uses (Hotel Bellevue)"),
        ("channel.territories", "channel:sport", "GB IE"),
        ("channel.blackout", "channel:sport", "Cup Final 2031-05-01 19:45-22:00 UTC in GB"),
        ("channel.blackout_lifted", "channel:sport", "Cup Final 2031-05-01 19:45-22:00 UTC in GB"),
        ("channel.key", "channel:sport", "new stream key"),
        ("channel.delete", "channel:sport", "Sport One"),
        ("title.delete", f"title:{film}", "film 'Night Train'"),
    ]  # fmt: skip
    assert actors == {(None, f"cli:{getpass.getuser()}@{socket.gethostname()}", "")}


def test_a_refused_change_leaves_no_entry(shell: CliRunner, runtime: Runtime) -> None:
    refused = shell.invoke(cli, ["plan", "add", "basic", "--name", "Basic", "--price", "9.999"])
    assert refused.exit_code != 0
    with runtime.db.session() as session:
        assert audit.events(session) == []
