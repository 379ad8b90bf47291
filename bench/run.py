"""``make bench``: run every benchmark in :data:`BENCHES`, print the table, write ``docs/benchmarks.md``."""

from __future__ import annotations

import datetime as dt
import importlib
import os
import platform
import sys
import time
import traceback
from pathlib import Path

from bench.table import Row, markdown, plain

BENCHES = (
    "bench.ingest",
    "bench.serving",
    "bench.first_frame",
    "bench.playlists",
    "bench.edge",
    "bench.leases",
    "bench.watermark",
    "bench.marking",
    "bench.channels",
)
DOC = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"


def main() -> int:
    rows: list[Row] = []
    for name in BENCHES:
        print(f"running {name} ...", file=sys.stderr, flush=True)
        started = time.monotonic()
        rows += _run(name)
        print(f"  {name} took {time.monotonic() - started:.0f} s", file=sys.stderr, flush=True)
    print(plain(rows))
    DOC.write_text(_document(rows))
    print(f"\nwritten to {DOC}", file=sys.stderr)
    return 0 if all(row.ok for row in rows) else 1


def _run(name: str) -> list[Row]:
    try:
        rows: list[Row] = importlib.import_module(name).run()
    except Exception as exc:  # one broken bench must not hide the others
        traceback.print_exc()
        return [Row(goal=name, ours="-", peer="-", ratio=float("nan"), target="-", ok=False, note=f"failed: {exc}")]
    return rows


def _document(rows: list[Row]) -> str:
    machine = f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
    return (
        "# Benchmarks\n\n"
        "Each goal compares Airwave with a plain reference doing the same work on the same machine, as a ratio.\n"
        "Regenerate with `make bench` (this page is written by `bench/run.py`).\n\n"
        f"Measured {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC on {machine}.\n\n" + markdown(rows)
    )


if __name__ == "__main__":
    sys.exit(main())
