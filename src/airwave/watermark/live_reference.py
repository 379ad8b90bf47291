"""A marked live channel's DVR as the detector reads it: a :class:`~airwave.watermark.reference.Reference`.

The detector reads one folder holding ``init.mp4``, a VOD playlist of ``seg_<N>.m4s`` and the A and B file
of each segment. A channel's marked segments are spread over runs (``<rendition>/a|b/<run>-<n>.m4s``), so
the trace builds that folder in a scratch directory: the marked segments of one rendition in the time
window asked for, linked under the number N they were marked and served with (msn + 1), behind one marked
init (segments whose run was encoded with other parameters, say another picture size, are left out).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from airwave.channels.feeds import channel_dir
from airwave.channels.index import INDEX, Entry, IndexReader
from airwave.channels.marking import VARIANTS, init_parameters, marked_init_path, segment_number, variant_path
from airwave.channels.meta import LiveRendition, read_meta
from airwave.config import Settings
from airwave.errors import BadRequest, Conflict
from airwave.hls.playlist import Segment, render_vod_playlist
from airwave.media.argv import INIT, PLAYLIST
from airwave.watermark.frames import ANALYSIS_HEIGHT
from airwave.watermark.reference import Reference

log = logging.getLogger(__name__)


def channel_reference(settings: Settings, slug: str, window: tuple[float, float] | None, work: Path) -> Reference:
    """The marked segments of channel ``slug`` that started within ``window`` (Unix seconds; None: the whole
    DVR), linked into ``work`` as a reference.

    Raises:
        Conflict: the channel has nothing on disk.
        BadRequest: no marked segment in the window (the channel is not watermarked, or was not then).
    """
    folder = channel_dir(settings, slug)
    renditions = [r for r in read_meta(folder) if r.width and r.height]
    if not renditions:
        raise Conflict(f"channel {slug} has no recorded video to trace against")
    entries = IndexReader(folder / INDEX).entries()
    if window is not None:
        entries = [e for e in entries if window[0] <= e.end and e.start <= window[1]]
    rendition = _rendition(folder, renditions, entries)
    chosen = _marked(folder, rendition.name, entries)
    if not chosen:
        raise BadRequest(
            f"channel {slug} has no watermarked segments in its DVR for that time: turn watermarking on "
            "(airwave channel edit SLUG --watermark on) before a leak can be traced, and check --around"
        )
    _link(folder, rendition.name, chosen, work)
    return Reference(work, rendition.width or 0, rendition.height or 0)


def _rendition(folder: Path, renditions: list[LiveRendition], entries: list[Entry]) -> LiveRendition:
    """The marked rendition closest above analysis size (the detector's own scale), like a title's."""
    marked = [r for r in renditions if any(marked_init_path(folder, r.name, run).is_file()
                                           for run in {e.run for e in entries})]  # fmt: skip
    pool = marked or renditions
    above = [r for r in pool if (r.height or 0) >= ANALYSIS_HEIGHT * 1.25]
    return min(above, key=lambda r: r.height or 0) if above else max(pool, key=lambda r: r.height or 0)


def _marked(folder: Path, rendition: str, entries: list[Entry]) -> list[Entry]:
    """The entries whose variants exist and whose run shares the first marked run's parameters."""
    chosen: list[Entry] = []
    wanted = None
    for entry in entries:
        if rendition not in entry.renditions:
            continue
        init = marked_init_path(folder, rendition, entry.run)
        files = [variant_path(folder, rendition, v, entry.run, entry.n) for v in VARIANTS]
        if not init.is_file() or not all(path.is_file() for path in files):
            continue
        parameters = init_parameters(init.read_bytes())
        if wanted is None:
            wanted = parameters
        if parameters != wanted:
            log.warning("segment %s of run %s was marked with other parameters: left out", entry.n, entry.run)
            continue
        chosen.append(entry)
    return chosen


def _link(folder: Path, rendition: str, entries: list[Entry], work: Path) -> None:
    segments = []
    for variant in VARIANTS:
        (work / variant).mkdir(parents=True, exist_ok=True)
    for entry in entries:
        name = f"seg_{segment_number(entry.msn):09d}.m4s"
        segments.append(Segment(name, entry.duration))
        for variant in VARIANTS:
            os.symlink(variant_path(folder, rendition, variant, entry.run, entry.n), work / variant / name)
    (work / INIT).write_bytes(marked_init_path(folder, rendition, entries[0].run).read_bytes())
    (work / PLAYLIST).write_text(render_vod_playlist(segments, map_uri=INIT))
