"""Poster and thumbnail-sprite geometry, and the WebVTT thumbnail track. Pure.

The sprite is one JPEG of tiles, one every ``interval`` seconds, ``columns`` to a row; players show the tile
for the time under the pointer by reading ``thumbs.vtt``, whose cues name a tile as ``thumbs.jpg#xywh=x,y,w,h``
(the W3C media-fragment convention that JW Player, Video.js and others follow).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

TILE_WIDTH = 160
MAX_COLUMNS = 10
MAX_TILES = 3600  # keeps the sprite below JPEG's 65,535-pixel height limit
POSTER_AT = 0.10  # a frame 10% in: past the opening black, before any spoilers
POSTER_MAX_WIDTH = 1280


@dataclass(frozen=True)
class Sprite:
    """The thumbnail sprite's geometry, stored as ``Title.thumbnails``."""

    interval: int  # seconds between tiles
    width: int  # one tile
    height: int
    columns: int
    count: int

    @property
    def rows(self) -> int:
        return math.ceil(self.count / self.columns)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Poster:
    at: float  # source timestamp in seconds
    width: int
    height: int


def plan_sprite(duration: float, display_width: int, display_height: int) -> Sprite:
    """About a hundred tiles for a short film, one every 10 s for a long one, at most :data:`MAX_TILES`."""
    interval = max(1, min(math.ceil(duration / 100), 10), math.ceil(duration / MAX_TILES))
    # A sliver past the last whole interval (container rounding, a trailing audio frame) gets no tile.
    count = max(1, math.ceil(duration / interval - 0.1))
    height = max(2, round(TILE_WIDTH * display_height / display_width / 2) * 2)
    return Sprite(interval=interval, width=TILE_WIDTH, height=height, columns=min(count, MAX_COLUMNS), count=count)


def plan_poster(duration: float, start_time: float, width: int, height: int) -> Poster:
    """A frame :data:`POSTER_AT` into the programme, at the top rung's size capped at 1280 wide."""
    if width > POSTER_MAX_WIDTH:
        height = max(2, round(height * POSTER_MAX_WIDTH / width / 2) * 2)
        width = POSTER_MAX_WIDTH
    return Poster(at=round(start_time + duration * POSTER_AT, 3), width=width, height=height)


def thumbnails_vtt(sprite: Sprite, duration: float, image: str = "thumbs.jpg") -> str:
    """The WebVTT thumbnail track for ``sprite``."""
    lines = ["WEBVTT", ""]
    for number in range(sprite.count):
        start = number * sprite.interval
        end = min(start + sprite.interval, duration)
        x = number % sprite.columns * sprite.width
        y = number // sprite.columns * sprite.height
        lines += [
            f"{_timestamp(start)} --> {_timestamp(end)}",
            f"{image}#xywh={x},{y},{sprite.width},{sprite.height}",
            "",
        ]
    return "\n".join(lines)


def _timestamp(seconds: float) -> str:
    millis = round(seconds * 1000)
    return f"{millis // 3_600_000:02}:{millis // 60_000 % 60:02}:{millis // 1000 % 60:02}.{millis % 1000:03}"
