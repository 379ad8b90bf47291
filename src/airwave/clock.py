"""Time as a collaborator, so schedules, tokens and leases can be tested with a fake clock."""

from __future__ import annotations

import datetime as dt
import time
from typing import Protocol


class Clock(Protocol):
    """What time-dependent code asks of the clock."""

    def now(self) -> dt.datetime:
        """Return the current time, timezone-aware in UTC."""
        ...

    def time(self) -> float:
        """Return the current time as Unix seconds."""
        ...


class SystemClock:
    """The real clock."""

    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)

    def time(self) -> float:
        return time.time()


class FakeClock:
    """A clock that only moves when told to; for tests."""

    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self._t = start

    def now(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(self._t, dt.UTC)

    def time(self) -> float:
        return self._t

    def advance(self, seconds: float) -> None:
        self._t += seconds
