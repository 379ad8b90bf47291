"""A playout channel's plan: its schedule (from the database), the media of every item, and its ladder.

The channel's renditions are the ladder every scheduled item shares (by rendition name); an item that
lacks one of them, or whose segments are not the channel's length, is listed in ``warnings`` and its
slots play the slate instead.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from airwave.channels.schedule import Block, Item, Schedule
from airwave.channels.stitch import RenditionTracks
from airwave.channels.vodmedia import ChannelRendition, TitleMedia, Track, title_media
from airwave.config import Settings
from airwave.hls.playlist import parse_media_playlist
from airwave.store.channels import Channel
from airwave.store.epg import PlayoutBlock, PlayoutFiller
from airwave.store.tables import Title

AUDIO = "audio"  # the channel's audio rendition, fed by each item's default audio track
GRID_TOLERANCE = 0.1


@dataclass(frozen=True)
class Plan:
    """Everything needed to stitch a playout channel."""

    schedule: Schedule
    media: dict[int, TitleMedia]
    renditions: tuple[ChannelRendition, ...]
    warnings: tuple[str, ...]
    slate_dir: Path

    def sources(self, rendition: str) -> RenditionTracks | None:
        """The tracks feeding one channel rendition, or None if the channel has no such rendition."""
        if not any(r.name == rendition for r in self.renditions):
            return None
        tracks: dict[int, Track] = {}
        for title_id, media in self.media.items():
            name = media.default_audio if rendition == AUDIO else rendition
            if name is not None and name in media.tracks:
                tracks[title_id] = media.tracks[name]
        return RenditionTracks(rendition, tracks, read_track(self.slate_dir / rendition))


def slate_dir(settings: Settings, channel: Channel) -> Path:
    """Where a channel's slate segments live."""
    return settings.data / "channels" / channel.slug / "slate"


def read_track(folder: Path) -> Track | None:
    """A track from ``folder/index.m3u8`` (used for the slate), or None if it is missing."""
    try:
        playlist = parse_media_playlist((folder / "index.m3u8").read_text())
    except OSError:
        return None
    segments = tuple((s.uri, s.duration) for s in playlist.segments)
    return Track("", playlist.map_uri or "init.mp4", segments) if segments else None


def load_plan(session: Session, settings: Settings, channel: Channel) -> Plan:
    """Read the channel's blocks and fillers and the media of every title they play."""
    blocks = session.scalars(select(PlayoutBlock).where(PlayoutBlock.channel_id == channel.id)).all()
    fillers = session.scalars(
        select(PlayoutFiller).where(PlayoutFiller.channel_id == channel.id).order_by(PlayoutFiller.position)
    ).all()
    titles = {b.id: playable_titles(session, b.title_id) for b in blocks}
    filler_titles = [t for f in fillers for t in playable_titles(session, f.title_id)]
    every = {t.id: t for t in [*filler_titles, *(t for ts in titles.values() for t in ts)]}
    media = {tid: m for tid, t in every.items() if (m := title_media(settings.media_dir, t)) is not None}
    renditions, warnings = channel_ladder(media.values())
    grid_ms = _grid_ms(media.values(), settings)
    usable, dropped = _usable(media, renditions, grid_ms)
    warnings += dropped
    warnings += [f"{t.name!r} has no published media yet: the slate plays instead" for t in every.values()
                 if t.id not in media]  # fmt: skip

    def items(ts: Iterable[Title]) -> tuple[Item, ...]:
        # An item that cannot play keeps its time (the slate fills it), so the guide stays true.
        cells = {t.id: usable.get(t.id) or math.ceil((t.duration or 0) * 1000 / grid_ms) for t in ts}
        return tuple(Item(t.id, cells[t.id], t.name, t.id in usable) for t in ts if cells[t.id] > 0)

    schedule = Schedule(
        grid_ms,
        tuple(
            Block(b.id, b.weekdays, b.start_minute * 60, b.minutes * 60, items(titles[b.id]), b.order == "shuffle")
            for b in blocks
        ),
        tuple(item for item in items(filler_titles) if item.playable),
    )
    playable = {tid: m for tid, m in media.items() if tid in usable}
    return Plan(schedule, playable, renditions, tuple(warnings), slate_dir(settings, channel) / str(grid_ms))


def playable_titles(session: Session, title_id: int) -> list[Title]:
    """A film or episode itself; a series' episodes in season and episode order."""
    title = session.get(Title, title_id)
    if title is None:
        return []
    if title.kind != "series":
        return [title]
    query = select(Title).where(Title.parent_id == title.id).order_by(Title.season, Title.episode, Title.id)
    return list(session.scalars(query))


def channel_ladder(media: Iterable[TitleMedia]) -> tuple[tuple[ChannelRendition, ...], list[str]]:
    """The renditions every item shares (video by name; audio when every item has separate audio)."""
    items = list(media)
    if not items:
        return (), []
    names = [{r.name for r in m.renditions if r.kind == "video"} for m in items]
    common = set.intersection(*names) or names[0]
    warnings = [f"{m.name!r} lacks renditions {', '.join(sorted(common - n))} of this channel's ladder"
                for m, n in zip(items, names, strict=True) if common - n]  # fmt: skip
    ladder = []
    for rendition in items[0].renditions:
        if rendition.kind == "video" and rendition.name in common:
            peak = max(r.bandwidth for m in items for r in m.renditions if r.name == rendition.name)
            ladder.append(replace(rendition, playlist=f"{rendition.name}/live.m3u8", bandwidth=peak))
    if all(m.default_audio for m in items):
        first = next(r for r in items[0].renditions if r.name == items[0].default_audio)
        audio = replace(first, name=AUDIO, playlist=f"{AUDIO}/live.m3u8", is_default=True, language=None)
        ladder.append(replace(audio, label=first.label or "Audio"))
    return tuple(ladder), warnings


def _grid_ms(media: Iterable[TitleMedia], settings: Settings) -> int:
    lengths = [m.reference.reference_duration for m in media if m.reference is not None]
    seconds = statistics.median(lengths) if lengths else settings.segment_seconds
    return max(100, round(seconds * 1000))


def _usable(
    media: dict[int, TitleMedia], ladder: tuple[ChannelRendition, ...], grid_ms: int
) -> tuple[dict[int, int], list[str]]:
    """Cells of every item that can play on this channel, and why the others cannot."""
    cells, warnings = {}, []
    for title_id, item in media.items():
        names = [item.default_audio if r.name == AUDIO else r.name for r in ladder]
        tracks = [item.tracks.get(name) for name in names if name is not None]
        if not ladder or len(tracks) < len(ladder) or any(track is None for track in tracks):
            warnings.append(f"{item.name!r} lacks renditions of this channel's ladder: the slate plays instead")
            continue
        reference = tracks[0]
        assert reference is not None
        if abs(reference.reference_duration * 1000 - grid_ms) > GRID_TOLERANCE * grid_ms:
            warnings.append(
                f"{item.name!r} has {reference.reference_duration:g} s segments, the channel {grid_ms / 1000:g} s: "
                "re-ingest it with the same segment length; the slate plays instead"
            )
            continue
        cells[title_id] = min(len(track.segments) for track in tracks if track is not None)
    return cells, warnings
