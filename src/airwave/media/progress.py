"""Parsing ffmpeg's ``-progress`` output: blocks of ``key=value`` lines, each ending with ``progress=...``. Pure."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Progress:
    """One report from ffmpeg."""

    out_time: float | None  # seconds of output written so far
    frame: int | None  # video frames encoded (the first video output)
    speed: float | None  # times real time
    done: bool  # the final report ("progress=end")


class ProgressParser:
    """Feed it lines; it returns a :class:`Progress` at the end of each block."""

    def __init__(self) -> None:
        self._values: dict[str, str] = {}

    def feed(self, line: str) -> Progress | None:
        key, sep, value = line.strip().partition("=")
        if not sep:
            return None
        if key != "progress":
            self._values[key] = value.strip()
            return None
        values, self._values = self._values, {}
        return Progress(
            out_time=_seconds(values.get("out_time_us")),
            frame=_integer(values.get("frame")),
            speed=_real(values.get("speed", "").rstrip("x")),
            done=value.strip() == "end",
        )


def _seconds(micros: str | None) -> float | None:
    value = _integer(micros)
    return None if value is None or value < 0 else value / 1_000_000


def _integer(text: str | None) -> int | None:
    value = _real(text)
    return None if value is None else int(value)


def _real(text: str | None) -> float | None:
    try:
        return float(text) if text else None
    except ValueError:  # "N/A" before the first frame
        return None
