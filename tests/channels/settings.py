"""Settings for the channel tests that run no ffmpeg: the supervisor off, a short live window."""

from __future__ import annotations

from pathlib import Path

from airwave.config import Settings, load_settings


def quiet_settings(tmp_path: Path, database_url: str) -> Settings:
    return load_settings(
        data=tmp_path / "var", database_url=database_url, secret_key="test-secret", live_supervisor=False,
        live_segment_seconds=2.0, live_window_segments=4,
    )  # fmt: skip
