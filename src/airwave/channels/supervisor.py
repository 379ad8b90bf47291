"""The one supervisor of every live channel: a component of the server (``start()``/``close()``).

Which process runs it: every server worker creates it, and the one that takes the lock file
``<data>/live/supervisor.lock`` runs the channels; the others retry every few seconds, so if that worker
dies another takes over (its ffmpeg children die with it: ``PR_SET_PDEATHSIG``). It follows the database:
every ``RECONCILE`` seconds it starts channels that are enabled, stops those that are not, and restarts
those whose sources changed, so the CLI, the API and the admin pages only ever write rows.
"""

from __future__ import annotations

import fcntl
import hmac
import logging
import os
import threading
from typing import IO

from sqlalchemy import select

from airwave.channels.feeds import live_dir
from airwave.channels.plans import ChannelConfig
from airwave.channels.playout import plan_for, playout_state
from airwave.channels.rtmp import RtmpPublisher, RtmpServer
from airwave.channels.sources import RTMP_PUSH
from airwave.channels.worker import ChannelWorker
from airwave.errors import AirwaveError
from airwave.media.ffmpeg import find_ffmpeg
from airwave.runtime import Runtime
from airwave.store.channels import Channel

log = logging.getLogger(__name__)

RECONCILE = 1.0  # seconds between looks at the channels table
LOCK_RETRY = 5.0


class Supervisor:
    """Runs a :class:`ChannelWorker` per enabled live channel and the RTMP ingest, in whichever process holds
    the lock."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.workers: dict[str, ChannelWorker] = {}
        self.rtmp: RtmpServer | None = None
        self._lock_file: IO[str] | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="channel-supervisor", daemon=True)
        self._mutex = threading.Lock()

    @property
    def leading(self) -> bool:
        """Whether this process runs the channels."""
        return self._lock_file is not None

    def start(self) -> None:
        if self.runtime.settings.live_supervisor:
            self._thread.start()

    def close(self) -> None:
        """Stop every channel (and so every ffmpeg) and the RTMP ingest, then release the lock. Idempotent."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    def wake(self) -> None:
        """Reconcile now rather than at the next tick (after an edit in this process)."""
        self.reconcile()

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                if not self.leading and not self._take_lock():
                    self._stop.wait(LOCK_RETRY)
                    continue
                try:
                    self.reconcile()
                except AirwaveError as exc:
                    log.error("channel supervisor: %s", exc)
                self._stop.wait(RECONCILE)
        finally:
            self._shutdown()

    def _take_lock(self) -> bool:
        folder = live_dir(self.runtime.settings)
        folder.mkdir(parents=True, exist_ok=True)
        handle = open(folder / "supervisor.lock", "a+")  # noqa: SIM115 - held for the supervisor's life
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            return False
        handle.truncate(0)
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        self._lock_file = handle
        log.info("channel supervisor running in process %s", os.getpid())
        return True

    def reconcile(self) -> None:
        """Bring the running channels in line with the table."""
        if not self.leading:
            return
        with self._mutex:
            wanted = self._wanted()
            for slug in [s for s in self.workers if s not in wanted or self.workers[s].config != wanted[s]]:
                self._stop_worker(slug)
            ffmpeg = find_ffmpeg(self.runtime.settings) if len(wanted) > len(self.workers) else ""
            for slug, config in wanted.items():
                if slug not in self.workers:
                    worker = ChannelWorker(self.runtime.settings, ffmpeg, config, self._report, self.runtime.clock)
                    self.workers[slug] = worker
                    worker.start()
            self._rtmp_wanted(any(c.source_url == RTMP_PUSH for c in wanted.values()))

    def _wanted(self) -> dict[str, ChannelConfig]:
        with self.runtime.db.session() as session:
            rows = session.scalars(select(Channel)).all()
            for row in rows:
                if not row.enabled and row.state != "stopped":
                    row.state, row.state_since = "stopped", self.runtime.clock.now()
                elif row.kind == "playout" and row.enabled:
                    self._playout_state(row)
            return {row.slug: _config(row) for row in rows if row.kind == "live" and row.enabled and row.source_url}

    def _playout_state(self, row: Channel) -> None:
        """A playout channel needs no process: its state is what its schedule puts on air now."""
        try:
            state, error = playout_state(plan_for(self.runtime, row), self.runtime.clock.now())
        except AirwaveError as exc:
            state, error = "failing", str(exc)
        if row.state != state:
            row.state, row.state_since = state, self.runtime.clock.now()
        if row.last_error != error:
            row.last_error = error

    def _stop_worker(self, slug: str) -> None:
        worker = self.workers.pop(slug)
        worker.close()
        log.info("channel %s stopped", slug)

    def _report(self, slug: str, state: str, switches: int, error: str) -> None:
        with self.runtime.db.session() as session:
            row = session.scalar(select(Channel).where(Channel.slug == slug))
            if row is None:
                return
            if row.state != state:
                row.state, row.state_since = state, self.runtime.clock.now()
            row.switch_count += switches
            row.last_error = error

    def _authorize(self, publisher: RtmpPublisher) -> bool:
        with self.runtime.db.session() as session:
            rows = session.execute(
                select(Channel.slug, Channel.stream_key).where(Channel.source_url == RTMP_PUSH, Channel.enabled)
            ).all()
        slug = next((s for s, key in rows if key and hmac.compare_digest(key, publisher.key)), None)
        worker = self.workers.get(slug) if slug else None
        if worker is None:
            return False
        publisher.slug = worker.config.slug
        worker.attach(publisher)
        return True

    def _rtmp_wanted(self, wanted: bool) -> None:
        if wanted and self.rtmp is None:
            settings = self.runtime.settings
            server = RtmpServer(settings.ingest_host, settings.rtmp_port, self._authorize)
            try:
                server.start()
            except OSError as exc:
                log.error("RTMP ingest cannot listen on port %s: %s", settings.rtmp_port, exc.strerror)
                return
            self.rtmp = server
        elif not wanted and self.rtmp is not None:
            self.rtmp.close()
            self.rtmp = None

    def _shutdown(self) -> None:
        with self._mutex:
            for worker in self.workers.values():
                worker.stop()  # all at once: each may wait seconds for its ffmpeg to finish
            for slug in list(self.workers):
                self._stop_worker(slug)
            if self.rtmp is not None:
                self.rtmp.close()
                self.rtmp = None
            if self._lock_file is not None:
                self._lock_file.close()
                self._lock_file = None


def _config(row: Channel) -> ChannelConfig:
    return ChannelConfig(
        row.slug,
        row.source_url,
        row.backup_url,
        row.mode,
        row.dvr_hours,
        row.stream_key,
        row.srt_port,
        row.watermark,
    )
