"""Finding the ffmpeg binary: ``Settings.ffmpeg`` if set, else the one shipped in the imageio-ffmpeg wheel."""

from __future__ import annotations

import os
import shutil

from airwave.config import Settings
from airwave.errors import ToolMissing

INSTALL_ADVICE = (
    "reinstall Airwave's Python dependencies (`make install`, which brings the imageio-ffmpeg wheel), "
    "or set AIRWAVE_FFMPEG to the path of an ffmpeg with libx264"
)


def find_ffmpeg(settings: Settings) -> str:
    """Return the path of the ffmpeg to run.

    Raises:
        ToolMissing: the configured path does not exist or is not executable, or no ffmpeg is installed.
    """
    if settings.ffmpeg:
        return _check(shutil.which(settings.ffmpeg) or settings.ffmpeg, "AIRWAVE_FFMPEG")
    try:
        import imageio_ffmpeg

        path: str = imageio_ffmpeg.get_ffmpeg_exe()
    except (ImportError, RuntimeError) as exc:
        raise ToolMissing(f"ffmpeg is not installed ({exc}): {INSTALL_ADVICE}") from None
    return _check(path, "the imageio-ffmpeg wheel")


def _check(path: str, origin: str) -> str:
    if not os.path.isfile(path) or not os.access(path, os.X_OK):
        raise ToolMissing(f"ffmpeg from {origin} ({path}) is missing or not executable: {INSTALL_ADVICE}")
    return path
