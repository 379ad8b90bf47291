"""A live channel's own segment index on disk: what the served playlists are rendered from.

One line per published segment in ``<data>/live/<slug>/index.tsv``::

    msn  start(ms since epoch)  duration  discontinuity(0/1)  discontinuity-sequence  run  n  renditions

``run`` names the ffmpeg run that wrote the segment (its files are ``<rendition>/<run>-<n>.m4s`` and
``<rendition>/<run>-init.mp4``), so media sequence numbers and discontinuity sequences continue across
restarts and source switches however ffmpeg numbers its own files. The supervisor appends lines (one
``write`` each); any number of server processes read them, incrementally, and notice a compaction (the file
is replaced atomically) by its inode changing.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path

INDEX = "index.tsv"


@dataclass(frozen=True, slots=True)
class Entry:
    """One published segment."""

    msn: int
    start: float  # Unix seconds of its first sample (EXT-X-PROGRAM-DATE-TIME)
    duration: float
    discontinuity: bool
    dseq: int  # its discontinuity sequence number (discontinuities up to and including this one)
    run: str
    n: int
    renditions: tuple[str, ...]

    @property
    def end(self) -> float:
        return self.start + self.duration

    def line(self) -> str:
        return (
            f"{self.msn}\t{round(self.start * 1000)}\t{self.duration:.6f}\t{int(self.discontinuity)}\t{self.dseq}"
            f"\t{self.run}\t{self.n}\t{','.join(self.renditions)}\n"
        )

    @classmethod
    def parse(cls, line: str) -> Entry:
        msn, start, duration, disc, dseq, run, n, renditions = line.rstrip("\n").split("\t")
        return cls(
            int(msn), int(start) / 1000, float(duration), disc == "1", int(dseq), run, int(n),
            tuple(renditions.split(",")),
        )  # fmt: skip


class IndexReader:
    """The entries of one index file, re-read only as far as it grew. Thread-safe."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._entries: list[Entry] = []
        self._inode = -1
        self._offset = 0
        self._lock = threading.Lock()

    def entries(self) -> list[Entry]:
        """All entries, oldest first (a snapshot: the list is never mutated after it is returned)."""
        with self._lock:
            try:
                info = os.stat(self.path)
            except FileNotFoundError:
                self._entries, self._inode, self._offset = [], -1, 0
                return self._entries
            if info.st_ino != self._inode or info.st_size < self._offset:
                self._entries, self._inode, self._offset = [], info.st_ino, 0
            if info.st_size > self._offset:
                self._read_more()
            return self._entries

    def _read_more(self) -> None:
        with open(self.path, "rb") as handle:
            handle.seek(self._offset)
            data = handle.read()
        complete = data[: data.rfind(b"\n") + 1]  # a line being written is read next time
        if not complete:
            return
        self._offset += len(complete)
        fresh = [Entry.parse(line) for line in complete.decode().splitlines() if line]
        self._entries = self._entries + fresh


class IndexWriter:
    """Appends entries (the supervisor's channel thread is the only writer) and compacts old ones away."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.path = folder / INDEX
        self.entries = IndexReader(self.path).entries()

    @property
    def last(self) -> Entry | None:
        return self.entries[-1] if self.entries else None

    def append(self, start: float, duration: float, discontinuity: bool, run: str, n: int,
               renditions: tuple[str, ...]) -> Entry:  # fmt: skip
        """Publish a segment: the next msn, continuing the discontinuity sequence.

        ``start`` (wall clock) dates a segment after a discontinuity; otherwise a segment starts where the
        previous one ended, so a run's timeline has no gaps or jitter. Dates never go back.
        """
        last = self.last
        disc = discontinuity and last is not None
        if last is not None:
            start = max(start, last.end) if disc else last.end
        entry = Entry(
            msn=last.msn + 1 if last else 0,
            start=start,
            duration=duration,
            discontinuity=disc,
            dseq=(last.dseq if last else 0) + int(disc),
            run=run,
            n=n,
            renditions=renditions,
        )
        with open(self.path, "a") as handle:
            handle.write(entry.line())
        self.entries = [*self.entries, entry]
        return entry

    def drop_before(self, cutoff: float, keep: int) -> list[Entry]:
        """Remove entries that ended before ``cutoff`` (never the last ``keep``); returns what was removed."""
        removable = self.entries[:-keep] if keep else self.entries
        dropped = [entry for entry in removable if entry.end < cutoff]
        if not dropped:
            return []
        kept = self.entries[len(dropped) :]
        temporary = self.path.with_suffix(".tmp")
        temporary.write_text("".join(entry.line() for entry in kept))
        os.replace(temporary, self.path)
        self.entries = kept
        return dropped
