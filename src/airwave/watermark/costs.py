"""What forensic marking costs, recorded where the admin pages and the CLI can show it.

A marked title's ingest records its extra encode time and storage in ``marking.json`` inside the title's
media folder (it travels with the folder from staging to publication and goes with the title); a marked
channel keeps a running account in its DVR folder (:class:`airwave.channels.marking.Costs`). The summaries
are sentences for people: the operator decides from them whether a title or channel is worth marking.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

COSTS = "marking.json"


@dataclass(frozen=True)
class TitleCost:
    """The marking of one title: renditions marked, extra encode seconds, bytes added, media seconds."""

    renditions: tuple[str, ...]
    encode_seconds: float
    extra_bytes: int
    media_seconds: float


def write_title_cost(folder: Path, cost: TitleCost) -> None:
    """Record ``cost`` in the title's media ``folder`` (atomically)."""
    temporary = folder / (COSTS + ".tmp")
    temporary.write_text(json.dumps(asdict(cost)))
    os.replace(temporary, folder / COSTS)


def read_title_cost(folder: Path | None) -> TitleCost | None:
    """The recorded cost, None for an unmarked title (or one marked before costs were recorded)."""
    if folder is None:
        return None
    try:
        raw = json.loads((folder / COSTS).read_text())
        return TitleCost(tuple(raw["renditions"]), float(raw["encode_seconds"]), int(raw["extra_bytes"]),
                         float(raw["media_seconds"]))  # fmt: skip
    except (OSError, ValueError, KeyError, TypeError):
        return None


def folder_bytes(folder: Path) -> int:
    """Bytes of every file under ``folder``."""
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())


def title_summary(cost: TitleCost, media_bytes: int) -> str:
    """E.g. "12.3 s of extra encoding (0.4 s per second of video); +5.2 MB of storage (+48%)"."""
    per_second = cost.encode_seconds / cost.media_seconds if cost.media_seconds else 0.0
    base = media_bytes - cost.extra_bytes
    share = f" (+{100 * cost.extra_bytes / base:.0f}%)" if base > 0 else ""
    return (
        f"{cost.encode_seconds:.1f} s of extra encoding ({per_second:.2f} s per second of video); "
        f"{megabytes(cost.extra_bytes)} of extra storage{share}; renditions {', '.join(cost.renditions)}"
    )


def megabytes(count: int) -> str:
    """A byte count for people, signed: "+5.2 MB"."""
    return f"{'+' if count >= 0 else '-'}{abs(count) / 1e6:.1f} MB"


def title_marking(folder: Path | None) -> dict[str, object] | None:
    """The JSON form of a title's marking cost (``airwave titles show``), None when none is recorded."""
    cost = read_title_cost(folder)
    if cost is None or folder is None:
        return None
    media_bytes = folder_bytes(folder)
    return {
        "renditions": list(cost.renditions),
        "encode_seconds": round(cost.encode_seconds, 2),
        "extra_bytes": cost.extra_bytes,
        "media_bytes": media_bytes,
        "summary": title_summary(cost, media_bytes),
    }
