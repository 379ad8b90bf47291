"""One channel kept on air: its primary, backup and slate runs, failover, publishing and retention.

Every tick the worker collects finished segments from its runs, publishes the active run's into the index
and keeps the others' newest as a standby. The active run is the first healthy one of primary, backup,
slate; healthy means alive with a segment within two target durations. Each change of run is published as
a discontinuity; media sequence numbers come from the index and never go back.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from typing import IO, Protocol

from airwave.channels.feeds import channel_dir
from airwave.channels.index import IndexWriter
from airwave.channels.meta import read_meta, write_meta
from airwave.channels.plans import ChannelConfig, RunPlan, slate_plan, source_plan
from airwave.channels.retention import Retention
from airwave.channels.runs import Produced, Run
from airwave.channels.sources import parse_source
from airwave.clock import Clock
from airwave.config import Settings
from airwave.errors import AirwaveError
from airwave.media.live_argv import RunOutput

log = logging.getLogger(__name__)

ROLES = ("primary", "backup", "slate")
STATE_OF = {"primary": "live", "backup": "backup", "slate": "slate"}
TICK = 0.2
STARTUP_GRACE = 12.0  # seconds a run may take to its first segment before it counts as hung
BASE_BACKOFF = 0.5


class Publisher(Protocol):
    """An RTMP publisher whose FLV stream the channel's primary run reads (``channels.rtmp``)."""

    @property
    def done(self) -> bool: ...

    def feed(self, sink: IO[bytes]) -> None:
        """Start writing the stream into ``sink`` (ffmpeg's stdin); close it when the publisher leaves."""
        ...

    def close(self) -> None: ...


Report = Callable[[str, str, int, str], None]  # slug, state, switches since last report, error


class ChannelWorker:
    """The thread ``channel-<slug>`` and everything it runs."""

    def __init__(self, settings: Settings, ffmpeg: str, config: ChannelConfig, report: Report, clock: Clock) -> None:
        self.settings, self.ffmpeg, self.config, self.clock = settings, ffmpeg, config, clock
        self.folder = channel_dir(settings, config.slug)
        self.stall = 2 * math.ceil(settings.live_segment_seconds)  # two target durations
        self.runs: dict[str, Run | None] = dict.fromkeys(ROLES)
        self.pending: dict[str, list[Produced]] = {role: [] for role in ROLES}
        self.retry_at: dict[str, float] = dict.fromkeys(ROLES, 0.0)
        self.backoff: dict[str, float] = dict.fromkeys(ROLES, BASE_BACKOFF)
        self.active: str | None = None
        self.state = "stopped"
        self.error = ""
        self.writer = IndexWriter(self.folder)
        self.retention = Retention(self.folder, self.writer, settings, clock)
        self.last_publish = time.monotonic() + self.stall  # a first run gets longer to start
        self._report, self._switches = report, 0
        self._publisher: Publisher | None = None
        self._fed: Publisher | None = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=f"channel-{config.slug}", daemon=True)
        self._counter = 0

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Ask the thread to stop its runs and end (see :meth:`close`)."""
        self._stop.set()

    def close(self) -> None:
        """Stop every run (terminate, kill after a timeout, reap) and the thread. Idempotent."""
        self._stop.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join()

    def attach(self, publisher: Publisher) -> None:
        """A publisher with this channel's key arrived: the primary run will read it (replacing any other)."""
        with self._lock:
            old, self._publisher = self._publisher, publisher
        if old is not None and old is not publisher:
            old.close()

    @property
    def pids(self) -> dict[str, int]:
        return {role: run.process.pid for role, run in self.runs.items() if run is not None and run.process.pid}

    def _loop(self) -> None:
        try:
            while not self._stop.wait(TICK):
                try:
                    self.tick(time.monotonic())
                except (AirwaveError, OSError) as exc:
                    log.exception("channel %s: %s", self.config.slug, exc)
        finally:
            for role in ROLES:
                self._stop_run(role)
            with self._lock:
                publisher, self._publisher = self._publisher, None
            if publisher is not None:
                publisher.close()

    def tick(self, now: float) -> None:
        self._collect()
        self._choose(now)
        self._manage(now)
        self._update_state(now)
        self.retention.tick(now, self.config.dvr_hours, self._live_run_ids())

    def _collect(self) -> None:
        for role, run in self.runs.items():
            if run is None:
                continue
            fresh = run.poll()
            if role == self.active:
                for produced in fresh:
                    self._publish(run, produced)
            elif fresh:
                keep = (self.pending[role] + fresh)[-1:]
                for stale in (self.pending[role] + fresh)[:-1]:
                    self.retention.discard(run.segment_paths(stale.n))
                self.pending[role] = keep

    def _choose(self, now: float) -> None:
        desired = next((role for role in ROLES if self._healthy(role, now)), None)
        if desired is None or desired == self.active:
            return
        previous, self.active = self.active, desired
        if previous is not None:
            self._switches += 1
            log.warning("channel %s: switched from %s to %s", self.config.slug, previous, desired)
        run = self.runs[desired]
        assert run is not None
        for produced in self.pending[desired]:
            self._publish(run, produced)
        self.pending[desired] = []

    def _publish(self, run: Run, produced: Produced) -> None:
        last = self.writer.last
        new_run = last is None or last.run != run.id
        start = self.clock.time() - produced.duration
        self.writer.append(start, produced.duration, new_run, run.id, produced.n, run.renditions)
        self.last_publish = produced.at
        if new_run:
            described = run.describe(produced.n, produced.duration)
            if described != read_meta(self.folder):
                write_meta(self.folder, described)

    def _healthy(self, role: str, now: float) -> bool:
        run = self.runs[role]
        return (
            run is not None and not run.exited and run.last_segment_at is not None
            and now - run.last_segment_at <= self.stall
        )  # fmt: skip

    def _stalled(self, now: float) -> bool:
        run = self.runs[self.active] if self.active else None
        return now - self.last_publish > self.stall or run is None or run.exited

    def _manage(self, now: float) -> None:
        for role in ROLES:
            self._reap(role, now)
        stalled = self._stalled(now)
        self._want_primary(now)
        wants_backup = bool(self.config.backup_url) and (
            self.settings.live_hot_backup or self.active != "primary" or stalled
        )
        self._want("backup", wants_backup, now)
        fallback = not self._healthy("primary", now) and not self._healthy("backup", now)
        self._want("slate", fallback and (stalled or self.active == "slate"), now)

    def _want_primary(self, now: float) -> None:
        if self.config.source.kind != "rtmp-push":
            self._want("primary", True, now)
            return
        with self._lock:
            publisher = self._publisher
        if publisher is None or publisher.done:
            return
        if publisher is not self._fed:
            self._stop_run("primary")
            plan = source_plan(self.settings, self.ffmpeg, self.config, self.config.source, self._output())
            run = self._start("primary", plan)
            if run is not None:
                publisher.feed(run.process.stdin)
            self._fed = publisher

    def _want(self, role: str, wanted: bool, now: float) -> None:
        if not wanted:
            if self.runs[role] is not None and self.active != role:
                self._stop_run(role)
            return
        if self.runs[role] is None and now >= self.retry_at[role]:
            self._start(role, self._plan(role))

    def _plan(self, role: str) -> RunPlan:
        if role == "slate":
            return slate_plan(self.settings, self.ffmpeg, self.config, read_meta(self.folder), self._output())
        config = self.config
        source = config.source if role == "primary" else parse_source(config.backup_url, field="backup")
        return source_plan(self.settings, self.ffmpeg, config, source, self._output())

    def _output(self) -> RunOutput:
        self._counter += 1
        run_id = f"{round(self.clock.time() * 1000):x}{self._counter % 100:02d}"
        return RunOutput(self.folder, run_id, self.settings.live_segment_seconds)

    def _start(self, role: str, plan: RunPlan) -> Run | None:
        run = Run(role, plan.run, plan.argv, self.folder, plan.renditions, name=f"channel-{self.config.slug}-{role}",
                  stdin=plan.stdin)  # fmt: skip
        try:
            run.start()
        except AirwaveError as exc:
            self._failed(role, str(exc), time.monotonic())
            return None
        log.info("channel %s: started %s run %s (pid %s)", self.config.slug, role, run.id, run.process.pid)
        self.runs[role] = run
        return run

    def _reap(self, role: str, now: float) -> None:
        run = self.runs[role]
        if run is None:
            return
        since = run.last_segment_at or run.started_at
        hung = now - since > max(STARTUP_GRACE if run.last_segment_at is None else 0, 2 * self.stall)
        if not run.exited and not hung:
            return
        status = run.process.poll()
        reason = "stopped producing segments" if status is None else f"exited with status {status}"
        tail = run.process.stderr_tail.splitlines()[-2:]
        self._stop_run(role)
        if run.produced:
            self.backoff[role] = BASE_BACKOFF
        self._failed(role, f"{role} source {reason}" + (f": {' '.join(tail)}" if tail else ""), now)

    def _failed(self, role: str, message: str, now: float) -> None:
        log.warning("channel %s: %s; retrying in %.1f s", self.config.slug, message, self.backoff[role])
        self.error = message[:500]
        self.retry_at[role] = now + self.backoff[role]
        self.backoff[role] = min(self.backoff[role] * 2, self.settings.live_restart_max_seconds)

    def _stop_run(self, role: str) -> None:
        run, self.runs[role] = self.runs[role], None
        if run is None:
            return
        run.close()
        for produced in self.pending[role]:
            self.retention.discard(run.segment_paths(produced.n))
        self.pending[role] = []
        if self.active == role:
            self.active = None

    def _update_state(self, now: float) -> None:
        state = self.state
        if self.active is not None and not self._stalled(now):
            state = STATE_OF[self.active]
        elif now - self.last_publish > 3 * self.stall:
            state = "failing"
        if state != self.state or self._switches:
            self.state = state
            self._report(self.config.slug, state, self._switches, self.error)
            self._switches = 0

    def _live_run_ids(self) -> set[str]:
        return {run.id for run in self.runs.values() if run is not None}
