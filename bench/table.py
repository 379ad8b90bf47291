"""One row per speed goal, and the table they are printed as (terminal and ``docs/benchmarks.md``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Row:
    """One measured goal: ours against a peer doing the same work."""

    goal: str  # what is compared, e.g. "ABR ladder ingest wall time / plain ffmpeg"
    ours: str  # our measurement, with units
    peer: str  # the reference measurement, with units
    ratio: float  # ours / peer
    target: str  # e.g. "<= 1.05"
    ok: bool  # the ratio meets the target
    note: str = ""  # how it was measured


HEADER = ("Goal", "Airwave", "Reference", "Ratio", "Target", "Met", "How")


def markdown(rows: Sequence[Row]) -> str:
    """The rows as a GitHub-flavoured Markdown table."""
    lines = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    for row in rows:
        cells = (row.goal, row.ours, row.peer, f"{row.ratio:.2f}", row.target, "yes" if row.ok else "**no**", row.note)
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    return "\n".join(lines) + "\n"


def plain(rows: Sequence[Row]) -> str:
    """The rows as an aligned text table for the terminal (without the long "How" column)."""
    table = [HEADER[:-1]] + [
        (r.goal, r.ours, r.peer, f"{r.ratio:.2f}", r.target, "yes" if r.ok else "NO") for r in rows
    ]
    widths = [max(len(line[column]) for line in table) for column in range(len(table[0]))]
    return "\n".join("  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)) for line in table)
