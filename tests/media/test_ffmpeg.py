from __future__ import annotations

import os
from pathlib import Path

import pytest

from airwave.config import load_settings
from airwave.errors import ToolMissing
from airwave.media.ffmpeg import find_ffmpeg


def test_default_is_the_wheel_binary(tmp_path: Path) -> None:
    path = find_ffmpeg(load_settings(data=tmp_path))
    assert os.access(path, os.X_OK)


def test_configured_path_that_does_not_exist_says_how_to_fix_it(tmp_path: Path) -> None:
    with pytest.raises(ToolMissing, match="AIRWAVE_FFMPEG"):
        find_ffmpeg(load_settings(data=tmp_path, ffmpeg=str(tmp_path / "no-ffmpeg")))
