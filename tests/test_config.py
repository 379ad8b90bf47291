from __future__ import annotations

from pathlib import Path

import pytest

from airwave.config import load_settings, settings_markdown
from airwave.errors import ConfigError

DOCS = Path(__file__).parents[1] / "docs" / "settings.md"


def test_docs_settings_page_is_complete_and_current() -> None:
    assert DOCS.read_text() == settings_markdown(), "run: airwave settings --markdown > docs/settings.md"


def test_environment_overrides_file_and_flags_override_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "airwave.toml"
    config.write_text('port = 7000\nhost = "0.0.0.0"\nladder = [720, 360]\n')
    monkeypatch.setenv("AIRWAVE_PORT", "7001")
    settings = load_settings(config_file=config)
    assert (settings.port, settings.host, settings.ladder) == (7001, "0.0.0.0", (720, 360))
    assert load_settings(config_file=config, port=7002).port == 7002


def test_config_file_in_data_dir_is_found(tmp_path: Path) -> None:
    (tmp_path / "airwave.toml").write_text("segment_seconds = 6\n")
    assert load_settings(data=tmp_path).segment_seconds == 6


def test_ladder_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRWAVE_LADDER", "1080, 480")
    assert load_settings().ladder == (1080, 480)


@pytest.mark.parametrize(
    ("env", "value", "fragment"),
    [
        ("AIRWAVE_PORT", "eighty", "AIRWAVE_PORT"),
        ("AIRWAVE_LOG_LEVEL", "loud", "AIRWAVE_LOG_LEVEL"),
        ("AIRWAVE_SEGMENT_SECONDS", "0", "AIRWAVE_SEGMENT_SECONDS"),
    ],
)
def test_invalid_values_name_the_setting(monkeypatch: pytest.MonkeyPatch, env: str, value: str, fragment: str) -> None:
    monkeypatch.setenv(env, value)
    with pytest.raises(ConfigError, match=fragment):
        load_settings()


def test_broken_config_file_is_reported(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("port = = 3")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings(config_file=bad)


def test_unknown_setting_in_file_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("prot = 3\n")
    with pytest.raises(ConfigError, match="prot"):
        load_settings(config_file=bad)
