"""``airwave channel add|edit --watermark on|off`` and what ``channel show`` says about marking."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from airwave.cli.main import cli, register_commands

register_commands()


def test_watermark_is_switched_on_and_off_per_channel(tmp_path: Path) -> None:
    data = ["--data", str(tmp_path / "var")]
    runner = CliRunner()
    added = runner.invoke(cli, [*data, "channel", "add", "news", "--name", "News", "--source", "push:rtmp",
                                "--stopped", "--watermark", "on"])  # fmt: skip
    assert added.exit_code == 0, added.output
    shown = runner.invoke(cli, [*data, "channel", "show", "news"])
    assert "watermark: True" in shown.output
    assert "watermark cost: nothing marked yet" in shown.output
    edited = runner.invoke(cli, [*data, "channel", "edit", "news", "--watermark", "off"])
    assert edited.exit_code == 0, edited.output
    listed = json.loads(runner.invoke(cli, [*data, "channel", "list", "--json"]).output)
    assert [(row["slug"], row["watermark"]) for row in listed] == [("news", False)]
    refused = runner.invoke(cli, [*data, "channel", "edit", "news", "--watermark", "maybe"])
    assert refused.exit_code == 2
    assert "'maybe' is not one of 'on', 'off'" in refused.output
