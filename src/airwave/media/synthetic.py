"""Synthetic programmes made with ffmpeg's generators, for the demo, tests and benchmarks.

Never downloaded: a gradient background with the title drawn on it, a moving test pattern inset, a running
clock, one sine tone per audio language, and optionally a subtitle track.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from airwave.errors import MediaError

_SAFE_TEXT = re.compile(r"^[\w .,·&!?-]*$")


@dataclass(frozen=True)
class Clip:
    """What to generate."""

    title: str
    seconds: float = 10.0
    width: int = 1280
    height: int = 720
    fps: int = 25
    colors: tuple[str, str] = ("0x1d2b64", "0xf8cdda")
    subtitle: str = ""  # a second line under the title, e.g. "Season 1 · Episode 2"
    languages: tuple[str, ...] = ("eng",)
    subtitles: tuple[str, ...] = ()  # languages of generated subtitle tracks
    extra: dict[str, str] = field(default_factory=dict)  # container metadata, e.g. {"title": "..."}


def clip_argv(ffmpeg: str, clip: Clip, output: Path, subtitle_files: list[tuple[Path, str]]) -> list[str]:
    """The ffmpeg command that renders ``clip`` into ``output`` (MKV or MP4 by extension)."""
    for text in (clip.title, clip.subtitle):
        if not _SAFE_TEXT.match(text):
            raise ValueError(f"synthetic clip text must be plain words: {text!r}")
    w, h = clip.width, clip.height
    c0, c1 = clip.colors
    inputs = [
        "-f", "lavfi", "-i",
        f"gradients=size={w}x{h}:rate={clip.fps}:duration={clip.seconds}:c0={c0}:c1={c1}"
        f":x0=0:y0=0:x1={w}:y1={h}:speed=0.01",
        "-f", "lavfi", "-i", f"testsrc2=size={w // 4}x{h // 4}:rate={clip.fps}",
    ]  # fmt: skip
    for index, _language in enumerate(clip.languages):
        inputs += ["-f", "lavfi", "-i", f"sine=frequency={330 + 110 * index}:sample_rate=48000:duration={clip.seconds}"]
    for path, _language in subtitle_files:
        inputs += ["-i", str(path)]
    big, small = h // 7, h // 18
    # Ingest takes the poster about 10% in: keep the opening seconds text-free, like key art, since the
    # pages draw the title over the poster themselves.
    later = ":enable='gte(t,2.5)'"
    video = (
        f"[1]format=yuva420p,colorchannelmixer=aa=0.85[inset];"
        f"[0][inset]overlay=x=W-w-{w // 26}:y=H-h-{h // 15}:shortest=1,"
        f"drawtext=text='{clip.title}':fontsize={big}:fontcolor=white:shadowcolor=black@0.6:shadowx=3:shadowy=3"
        f":x={w // 18}:y=h*0.30{later},"
        f"drawtext=text='{clip.subtitle}':fontsize={small}:fontcolor=white@0.85"
        f":x={w // 17}:y=h*0.30+{big * 6 // 5}{later},"
        rf"drawtext=text='%{{pts\:hms}}':fontsize={small * 3 // 4}:fontcolor=white@0.7:x={w // 17}:y=h-{h // 9},"
        "format=yuv420p[v]"
    )
    argv = [ffmpeg, "-hide_banner", "-loglevel", "error", "-y", *inputs, "-filter_complex", video, "-map", "[v]"]
    for index, language in enumerate(clip.languages):
        argv += ["-map", f"{2 + index}:a", f"-metadata:s:a:{index}", f"language={language}"]
    first_sub = 2 + len(clip.languages)
    for index, (_path, language) in enumerate(subtitle_files):
        argv += ["-map", f"{first_sub + index}:s", f"-metadata:s:s:{index}", f"language={language}"]
    argv += ["-c:v", "libx264", "-preset", "veryfast", "-crf", "20", "-pix_fmt", "yuv420p", "-c:a", "aac"]
    if subtitle_files:
        argv += ["-c:s", "srt" if output.suffix == ".mkv" else "mov_text"]
    for key, value in clip.extra.items():
        argv += ["-metadata", f"{key}={value}"]
    return [*argv, "-t", str(clip.seconds), str(output)]


def subtitle_srt(seconds: float, language: str, title: str) -> str:
    """A subtitle track with one cue every two seconds."""
    words = {"eng": "Hello from", "fra": "Bonjour de", "deu": "Hallo von", "spa": "Hola desde"}
    greeting = words.get(language, "Hello from")
    cues = []
    for number, start in enumerate(range(0, int(seconds), 2), start=1):
        end = min(start + 1.8, seconds)
        cues.append(f"{number}\n{_srt_time(start)} --> {_srt_time(end)}\n{greeting} {title} ({start} s)\n")
    return "\n".join(cues)


def render_clip(ffmpeg: str, clip: Clip, output: Path) -> Path:
    """Generate ``clip`` into ``output``; raises MediaError with ffmpeg's message on failure."""
    output.parent.mkdir(parents=True, exist_ok=True)
    subtitle_files = []
    for language in clip.subtitles:
        path = output.with_name(f"{output.stem}.{language}.srt")
        path.write_text(subtitle_srt(clip.seconds, language, clip.title))
        subtitle_files.append((path, language))
    argv = clip_argv(ffmpeg, clip, output, subtitle_files)
    result = subprocess.run(argv, capture_output=True, text=True, check=False)
    for path, _language in subtitle_files:
        path.unlink(missing_ok=True)
    if result.returncode != 0:
        raise MediaError(f"could not generate {output.name}: {result.stderr.strip()[-500:]}")
    return output


def _srt_time(seconds: float) -> str:
    millis = round(seconds * 1000)
    return f"{millis // 3_600_000:02}:{millis // 60_000 % 60:02}:{millis // 1000 % 60:02},{millis % 1000:03}"
