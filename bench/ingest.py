"""Ingest overhead: ``run_job`` (what ``airwave ingest`` runs) against a plain ffmpeg command that produces the
same ladder: same rungs and bitrates, same preset, same segments, AAC audio, fMP4 HLS per rung.

Airwave's run also probes, draws the thumbnail sprite and the poster in the same pass, measures every segment
and publishes the title; the goal is that all of that costs at most 5% over ffmpeg alone. The synthetic 1080p
clip is generated once into ``bench/out/``. Runs alternate (ours, plain, ours, ...); the median of each counts.
"""

from __future__ import annotations

import resource
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from airwave.catalog.ingest import run_job
from airwave.catalog.jobs import submit
from airwave.config import Settings, load_settings
from airwave.media.ffmpeg import find_ffmpeg
from airwave.media.ladder import Rung, plan_ladder
from airwave.runtime import open_runtime
from bench.table import Row

OUT = Path(__file__).resolve().parent / "out"
SECONDS = 10
FPS = 25
RUNS = 3
TARGET = 1.05


def run() -> list[Row]:
    """Time both, alternating, and return the table row."""
    defaults = load_settings(data=OUT / "unused")
    ffmpeg = find_ffmpeg(defaults)
    clip = source_clip(ffmpeg)
    ours: list[tuple[float, float]] = []
    plain: list[tuple[float, float]] = []
    with tempfile.TemporaryDirectory(prefix="airwave-bench-ingest-") as tmp:
        for number in range(RUNS):
            ours.append(time_airwave(clip, Path(tmp) / f"airwave-{number}"))
            plain.append(time_plain(ffmpeg, clip, Path(tmp) / f"plain-{number}", defaults))
    mine, peer = statistics.median(w for w, _ in ours), statistics.median(w for w, _ in plain)
    cpu = statistics.median(c for _, c in ours) / statistics.median(c for _, c in plain)
    rungs = "/".join(rung.name for rung in ladder(defaults))
    return [
        Row(
            goal="ABR ladder ingest wall time / plain ffmpeg",
            ours=f"{mine:.2f} s",
            peer=f"{peer:.2f} s",
            ratio=mine / peer,
            target=f"<= {TARGET}",
            ok=mine / peer <= TARGET,
            note=f"{SECONDS} s 1080p{FPS} clip to {rungs} + AAC, x264 {defaults.x264_preset}, "
            f"{defaults.segment_seconds:g} s fMP4 segments; median of {RUNS} alternating runs; ours is run_job "
            f"(probe, one pass incl. sprite + poster, measure, publish), excluding CLI start-up; CPU-time "
            f"ratio {cpu:.2f}",
        )
    ]


def source_clip(ffmpeg: str) -> Path:
    """A 1080p test pattern with stereo sound, made once."""
    path = OUT / f"ingest-1080p{FPS}-{SECONDS}s.mp4"
    if path.exists():
        return path
    OUT.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".part.mp4")
    subprocess.run(
        [ffmpeg, "-hide_banner", "-loglevel", "error", "-y",
         "-f", "lavfi", "-i", f"testsrc2=size=1920x1080:rate={FPS}:duration={SECONDS}",
         "-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=48000:duration={SECONDS}",
         "-ac", "2", "-c:v", "libx264", "-preset", "ultrafast", "-crf", "18", "-pix_fmt", "yuv420p",
         "-c:a", "aac", "-b:a", "192k", str(partial)],
        check=True,
    )  # fmt: skip
    partial.rename(path)
    return path


def time_airwave(clip: Path, data: Path) -> tuple[float, float]:
    """Wall and CPU seconds of one ingest job."""
    runtime = open_runtime(load_settings(data=data))
    try:
        with runtime.db.session() as session:
            job = submit(session, runtime.clock, source=clip, name="Bench", options={})
        started, cpu = time.perf_counter(), cpu_seconds()
        run_job(runtime, job.id)
        return time.perf_counter() - started, cpu_seconds() - cpu
    finally:
        runtime.close()


def time_plain(ffmpeg: str, clip: Path, out: Path, settings: Settings) -> tuple[float, float]:
    """Wall and CPU seconds of the plain ffmpeg command."""
    argv = plain_argv(ffmpeg, clip, out, settings)
    for rung in ladder(settings):
        (out / rung.name).mkdir(parents=True)
    (out / "audio").mkdir()
    started, cpu = time.perf_counter(), cpu_seconds()
    subprocess.run(argv, check=True)
    return time.perf_counter() - started, cpu_seconds() - cpu


def cpu_seconds() -> float:
    """CPU time of this process and its reaped children (ffmpeg): steadier than wall time on a busy machine."""
    me, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + children.ru_utime + children.ru_stime


def ladder(settings: Settings) -> list[Rung]:
    return plan_ladder(1920, 1080, FPS, settings.ladder)


def plain_argv(ffmpeg: str, clip: Path, out: Path, settings: Settings) -> list[str]:
    """What an operator would write by hand for the same ladder."""
    rungs = ladder(settings)
    segment, gop = f"{settings.segment_seconds:g}", str(round(FPS * settings.segment_seconds))
    splits = "".join(f"[s{n}]" for n in range(len(rungs)))
    scales = ";".join(f"[s{n}]scale={r.width}:{r.height}[v{n}]" for n, r in enumerate(rungs))
    argv = [ffmpeg, "-hide_banner", "-loglevel", "error", "-y", "-i", str(clip),
            "-filter_complex", f"[0:v]split={len(rungs)}{splits};{scales}"]  # fmt: skip
    hls = ["-f", "hls", "-hls_time", segment, "-hls_playlist_type", "vod", "-hls_segment_type", "fmp4"]
    for n, rung in enumerate(rungs):
        argv += ["-map", f"[v{n}]", "-c:v", "libx264", "-preset", settings.x264_preset, "-b:v", str(rung.bitrate),
                 "-maxrate", str(rung.maxrate), "-bufsize", str(rung.bufsize), "-g", gop, "-keyint_min", gop,
                 "-sc_threshold", "0", *hls, "-hls_segment_filename", f"{out}/{rung.name}/seg_%05d.m4s",
                 f"{out}/{rung.name}/index.m3u8"]  # fmt: skip
    argv += ["-map", "0:a", "-c:a", "aac", "-b:a", "128k", "-ac", "2", *hls,
             "-hls_segment_filename", f"{out}/audio/seg_%05d.m4s", f"{out}/audio/index.m3u8"]  # fmt: skip
    return argv


if __name__ == "__main__":
    for row in run():
        print(f"{row.goal}: airwave {row.ours}, plain ffmpeg {row.peer}, ratio {row.ratio:.3f} "
              f"(goal {row.target}: {'met' if row.ok else 'NOT met'})\n  {row.note}")  # fmt: skip
