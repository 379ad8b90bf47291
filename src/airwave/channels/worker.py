"""One channel kept on air: its primary and backup runs, its slate, failover, publishing and retention.

Every tick the worker collects finished segments from its runs, publishes the active run's into the index
and keeps the others' newest as a standby. The active source is the first healthy one of primary and
backup; healthy means alive with a segment within two target durations. When neither is and the channel has
stalled (nothing published for two target durations), the slate goes on air at once: its segments are made
ahead of time (``channels.slate.hot_slate``) and published from disk, one loop per run, until a source is
healthy again. Each change of run is published as a discontinuity; media sequence numbers come from the
index and never go back.
"""

from __future__ import annotations

import logging
import math
import os
import shutil
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Protocol

from airwave.channels.feeds import channel_dir, init_uri, live_dir, segment_uri
from airwave.channels.index import IndexWriter
from airwave.channels.marking import live_marker
from airwave.channels.meta import LiveRendition, read_meta, write_meta
from airwave.channels.plans import ChannelConfig, RunPlan, ladder_rungs, source_plan, suits_passthrough
from airwave.channels.remux import REMUX, RemuxRun, engine_for
from airwave.channels.retention import Retention
from airwave.channels.runs import Produced, Run
from airwave.channels.slate import HotSlate, SlateRendition, SlateSpec, abandon_hot_slates, hot_slate
from airwave.channels.sources import Source, SourceInfo, parse_source, probe_source
from airwave.clock import Clock
from airwave.config import Settings
from airwave.errors import AirwaveError
from airwave.media.ladder import Rung
from airwave.media.live_argv import PASSTHROUGH, RunOutput

log = logging.getLogger(__name__)

ROLES = ("primary", "backup")  # the roles that run a source; "slate" is published from disk
STATE_OF = {"primary": "live", "backup": "backup", "slate": "slate"}
TICK = 0.2
STARTUP_GRACE = 12.0  # seconds a run may take to its first segment before it counts as hung
BASE_BACKOFF = 0.5
SLATE_DEFAULT = (1280, 720, 25.0)  # a passthrough channel's slate before its source told its size
SLATE_RETRY = 30.0  # seconds before trying again to make a slate whose ffmpeg failed


class Publisher(Protocol):
    """An RTMP publisher whose FLV stream the channel's primary run reads (``channels.rtmp``)."""

    @property
    def done(self) -> bool: ...

    def feed(self, sink: IO[bytes]) -> None:
        """Start writing the stream into ``sink`` (ffmpeg's stdin); close it when the publisher leaves."""
        ...

    def remux(self, sink: RemuxRun) -> None:
        """Hand the stream to an in-process run on the RTMP event loop (``channels.remux``)."""
        ...

    def close(self) -> None: ...


Report = Callable[[str, str, int, str], None]  # slug, state, switches since last report, error


class ChannelWorker:
    """The thread ``channel-<slug>`` and everything it runs."""

    def __init__(self, settings: Settings, ffmpeg: str, config: ChannelConfig, report: Report, clock: Clock) -> None:
        self.settings, self.ffmpeg, self.config, self.clock = settings, ffmpeg, config, clock
        self.folder = channel_dir(settings, config.slug)
        self.stall = 2 * math.ceil(settings.live_segment_seconds)  # two target durations
        self.runs: dict[str, Run | RemuxRun | None] = dict.fromkeys(ROLES)
        self.pending: dict[str, list[Produced]] = {role: [] for role in ROLES}
        self.retry_at: dict[str, float] = dict.fromkeys(ROLES, 0.0)
        self.backoff: dict[str, float] = dict.fromkeys(ROLES, BASE_BACKOFF)
        self.active: str | None = None
        self.state = "stopped"
        self.error = ""
        self.writer = IndexWriter(self.folder)
        self.retention = Retention(self.folder, self.writer, settings, clock)
        self.marker = live_marker(settings, ffmpeg, config.slug, config.watermark)  # WATERMARK (issue 6)
        self.last_publish = time.monotonic() + self.stall  # a first run gets longer to start
        self._report, self._switches = report, 0
        self._publisher: Publisher | None = None
        self._fed: Publisher | None = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=f"channel-{config.slug}", daemon=True)
        self._counter = 0
        self._probed: dict[str, SourceInfo | None] = {}  # source URL -> what it carries (None: unknown)
        self._probing: dict[str, threading.Thread] = {}
        self.rungs: tuple[Rung, ...] = ()  # the channel's ladder, fixed by its first ladder run
        self.slate: HotSlate | None = None  # the newest made slate for the channel's renditions
        self.slate_run: str | None = None  # the slate loop on air
        self._slate_n = 0
        self._slate_due = 0.0
        self._slate_spec: SlateSpec | None = None  # the slate the channel's renditions want
        self._slate_stale = True  # the renditions changed since: work the spec out again
        self._slate_retry = 0.0

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
    def slate_ready(self) -> bool:
        """Whether the slate of the channel's current renditions is made (so a stall shows it at once)."""
        return self.slate is not None and not self._slate_stale and self.slate.spec == self._slate_spec

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
            abandon_hot_slates(self)
            for role in ROLES:
                self._stop_run(role)
            with self._lock:
                publisher, self._publisher = self._publisher, None
            if publisher is not None:
                publisher.close()

    def tick(self, now: float) -> None:
        self._collect()
        self._prepare_slate(now)
        self._choose(now)
        self._slate_tick(now)
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
        if desired is None and self.slate is not None and (self.active == "slate" or self._stalled(now)):
            desired = "slate"
        if desired is None or desired == self.active:
            return
        previous, self.active = self.active, desired
        if previous is not None:
            self._switches += 1
            log.warning("channel %s: switched from %s to %s", self.config.slug, previous, desired)
        if desired == "slate":
            self._slate_loop(now)
            return
        self.slate_run = None
        run = self.runs[desired]
        assert run is not None
        for produced in self.pending[desired]:
            self._publish(run, produced)
        self.pending[desired] = []

    def _publish(self, run: Run | RemuxRun, produced: Produced) -> None:
        # WATERMARK (issue 6): a marked channel's segment is listed only once its A/B variants exist.
        if self.marker is not None and not self.marker.mark(run.role, run.id, produced.n, run.renditions,
                                                            produced.duration, self.writer.entries):  # fmt: skip
            return
        new_run = self._append(self.clock.time() - produced.duration, produced, run.id, run.renditions)
        if new_run:
            described = run.describe(produced.n, produced.duration)
            if described != read_meta(self.folder):
                write_meta(self.folder, described)
                self._slate_stale = True  # the renditions may have a new size: the slate follows

    def _append(self, start: float, produced: Produced, run_id: str, renditions: tuple[str, ...]) -> bool:
        """Publish a segment into the index; return whether it starts a new run (a discontinuity)."""
        last = self.writer.last
        new_run = last is None or last.run != run_id
        self.writer.append(start, produced.duration, new_run, run_id, produced.n, renditions)
        self.last_publish = produced.at
        return new_run

    def _prepare_slate(self, now: float) -> None:
        """Have the slate of the channel's current renditions made (once; shared by channels alike)."""
        if self._slate_stale:
            self._slate_stale = False
            wanted = self._wanted_slate()
            if wanted != self._slate_spec:
                abandon_hot_slates(self)  # a build for the renditions the channel had is of no use now
                self._slate_spec = wanted
        spec = self._slate_spec
        if spec is None or (self.slate is not None and self.slate.spec == spec) or now < self._slate_retry:
            return
        try:
            made = hot_slate(self.ffmpeg, live_dir(self.settings) / ".slates", spec, self)
        except AirwaveError as exc:
            self._slate_retry = now + SLATE_RETRY
            log.error("channel %s: %s", self.config.slug, exc)
            return
        if made is not None and self.active != "slate":
            self.slate = made  # a loop on air finishes with the slate it started with

    def _wanted_slate(self) -> SlateSpec | None:
        """The slate of the channel's renditions: its ladder, or its passthrough rendition's size (a default
        until the source has shown it). None while a ladder channel's rungs wait for its source's probe."""
        seconds = self.settings.live_segment_seconds
        known = read_meta(self.folder)
        if self.config.mode == "ladder" and not self.rungs:
            return None
        if self.rungs:
            fps = min(next((r.frame_rate for r in known if r.frame_rate), None) or SLATE_DEFAULT[2], 30.0)
            renditions = tuple(SlateRendition(r.name, r.width, r.height, r.bitrate) for r in self.rungs)
            return SlateSpec(renditions, round(fps, 3), seconds)
        first = next((r for r in known if r.name == PASSTHROUGH and r.width and r.height), None)
        width, height = (first.width or 0, first.height or 0) if first else SLATE_DEFAULT[:2]
        fps = min((first.frame_rate if first else None) or SLATE_DEFAULT[2], 30.0)
        return SlateSpec((SlateRendition(PASSTHROUGH, width, height, 0),), round(fps, 3), seconds)

    def _slate_loop(self, now: float) -> None:
        """Start a loop of the slate as a run of its own and publish its first segment at once."""
        assert self.slate is not None
        self.slate_run = self._output().run
        self._slate_n = 0
        for rendition in self.slate.names:
            _link(self.slate.init(rendition), self.folder / init_uri(rendition, self.slate_run))
        if not read_meta(self.folder):
            write_meta(self.folder, self._slate_meta())
        self._slate_due = now
        self._slate_tick(now)

    def _slate_tick(self, now: float) -> None:
        """While the slate is on air, publish its next segment whenever the previous one has played out."""
        if self.active != "slate" or self.slate is None or self.slate_run is None or now < self._slate_due:
            return
        if self._slate_n >= len(self.slate.durations):
            self._slate_loop(now)
            return
        n, duration = self._slate_n, self.slate.durations[self._slate_n]
        for rendition in self.slate.names:
            _link(self.slate.segment(rendition, n), self.folder / segment_uri(rendition, self.slate_run, n))
        self._append(self.clock.time(), Produced(n, duration, now), self.slate_run, self.slate.names)
        self._slate_n += 1
        self._slate_due = max(now, self._slate_due) + duration

    def _slate_meta(self) -> list[LiveRendition]:
        """The master playlist's renditions when the slate is the first thing a channel ever shows."""
        assert self.slate is not None
        return [
            LiveRendition(r.name, "avc1.42c01e,mp4a.40.2", max(r.bitrate, 400_000), max(r.bitrate, 400_000),
                          r.width, r.height, self.slate.spec.fps)
            for r in self.slate.spec.renditions
        ]  # fmt: skip

    def _healthy(self, role: str, now: float) -> bool:
        run = self.runs[role]
        return (
            run is not None and not run.exited and run.last_segment_at is not None
            and now - run.last_segment_at <= self.stall
        )  # fmt: skip

    def _stalled(self, now: float) -> bool:
        if self.active == "slate":
            return now - self.last_publish > self.stall
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

    def _want_primary(self, now: float) -> None:
        if self.config.source.kind != "rtmp-push":
            self._want("primary", True, now)
            return
        with self._lock:
            publisher = self._publisher
        if publisher is None or publisher.done:
            return
        if publisher is not self._fed and engine_for(self.config.mode, self.config.source_url) == REMUX:
            # The in-process engine (channels.remux): no ffmpeg for a passthrough RTMP push.
            self._stop_run("primary")
            self.runs["primary"] = RemuxRun("primary", publisher, self._output())
            self._fed = publisher
        if publisher is not self._fed:
            self._stop_run("primary")
            plan = self._plan("primary")
            if plan is None:
                return  # not yet probed: fed next tick
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
            plan = self._plan(role)
            if plan is not None:
                self._start(role, plan)

    def _plan(self, role: str) -> RunPlan | None:
        """The run of a source: passthrough or the channel's ladder, sized by what the source carries.

        None while the source is being probed (in a thread of its own: the tick goes on publishing).
        """
        config = self.config
        source = config.source if role == "primary" else parse_source(config.backup_url, field="backup")
        if not self._probe(source):
            return None
        info = self._probed.get(source.url)
        rungs = self.rungs or self._primary_rungs()
        plan = source_plan(self.settings, self.ffmpeg, config, source, self._output(), info, rungs)
        if plan.rungs and not self.rungs:
            self.rungs = plan.rungs  # a backup or a restart keeps these renditions
            self._slate_stale = True
        return plan

    def _probe(self, source: Source) -> bool:
        """Whether what ``source`` carries has been asked (the answer may be None: unknown).

        A source is probed once per worker, in a thread; one that could not be probed is asked again at
        its next start. Push sources arrive only with their run and are never probed.
        """
        if source.is_push or self._probed.get(source.url) is not None:
            return True
        thread = self._probing.get(source.url)
        if thread is None:
            thread = threading.Thread(target=self._probe_into, args=(source,), daemon=True,
                                      name=f"channel-{self.config.slug}-probe")  # fmt: skip
            self._probing[source.url] = thread
            thread.start()
            return False
        if thread.is_alive():
            return False
        del self._probing[source.url]
        return True

    def _probe_into(self, source: Source) -> None:
        self._probed[source.url] = probe_source(source)

    def _primary_rungs(self) -> tuple[Rung, ...]:
        """A channel's ladder follows its primary, even when the backup is the first to start."""
        info = self._probed.get(self.config.source_url)
        if info is None or (self.config.mode != "ladder" and suits_passthrough(info)):
            return ()
        return tuple(ladder_rungs(self.settings, info))

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
        runs = {run.id for run in self.runs.values() if run is not None}
        return runs | {self.slate_run} if self.slate_run else runs


def _link(source: Path, target: Path) -> None:
    """Put a slate file into the channel's folder: a hard link (free), a copy across file systems."""
    target.parent.mkdir(parents=True, exist_ok=True)
    target.unlink(missing_ok=True)
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)
    os.utime(target)  # retention dates unnamed files by their time: this one is new to the channel
