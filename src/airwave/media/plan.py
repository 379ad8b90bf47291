"""Deciding every output of one ingest from the probe: ladder rungs, audio and subtitle renditions, artwork.

Pure: :func:`plan_encode` turns a :class:`MediaInfo` and the settings into an :class:`EncodePlan`, which
:mod:`airwave.media.argv` renders as one ffmpeg command.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from airwave.media.artwork import Poster, Sprite, plan_poster, plan_sprite
from airwave.media.ladder import Rung, plan_ladder
from airwave.media.languages import Language
from airwave.media.probe import MediaInfo

AUDIO_BITRATE = 128_000  # AAC-LC stereo
AUDIO_CHANNELS = 2
AUDIO_RATE = 48_000


@dataclass(frozen=True)
class VideoOutput:
    rung: Rung
    folder: str  # "720p"


@dataclass(frozen=True)
class AudioOutput:
    stream: int  # stream index in the source
    folder: str  # "audio-eng"
    language: Language | None
    label: str
    is_default: bool


@dataclass(frozen=True)
class SubtitleOutput:
    input: int  # 0 = the source, 1.. = the --subtitles files in order
    stream: int  # stream index within that input
    folder: str  # "subs-eng"
    language: Language | None
    label: str


@dataclass(frozen=True)
class EncodePlan:
    """Everything one ingest writes."""

    source: Path
    subtitle_files: tuple[Path, ...]
    video_stream: int
    fps: float
    duration: float
    videos: tuple[VideoOutput, ...]
    audios: tuple[AudioOutput, ...]
    subtitles: tuple[SubtitleOutput, ...]
    sprite: Sprite
    poster: Poster
    segment_seconds: float
    preset: str
    threads: int
    notes: tuple[str, ...] = ()  # what was left out, and why

    @property
    def gop(self) -> int:
        """Frames per segment: every segment starts with a keyframe, on every rung."""
        return max(1, round(self.fps * self.segment_seconds))


def plan_encode(
    info: MediaInfo,
    *,
    heights: Sequence[int],
    segment_seconds: float,
    preset: str,
    threads: int = 0,
    subtitle_files: Sequence[tuple[Path, Language | None]] = (),
) -> EncodePlan:
    """Plan the ladder, one AAC stereo rendition per audio stream, WebVTT for text subtitles, and artwork."""
    width, height = info.video.display_size
    rungs = plan_ladder(width, height, info.video.fps, heights)
    names: set[str] = set()
    subtitles, notes = _source_subtitles(info, names)
    for number, (path, lang) in enumerate(subtitle_files, start=1):
        label = lang.name if lang else path.stem
        subtitles.append(SubtitleOutput(number, 0, _unique("subs", lang, names), lang, label))
    return EncodePlan(
        source=info.path,
        subtitle_files=tuple(path for path, _ in subtitle_files),
        video_stream=info.video.index,
        fps=info.video.fps,
        duration=info.duration,
        videos=tuple(VideoOutput(rung, rung.name) for rung in rungs),
        audios=_audios(info, names),
        subtitles=tuple(subtitles),
        sprite=plan_sprite(info.duration, width, height),
        poster=plan_poster(info.duration, 0.0, rungs[0].width, rungs[0].height),
        segment_seconds=segment_seconds,
        preset=preset,
        threads=threads,
        notes=tuple(notes),
    )


def _audios(info: MediaInfo, names: set[str]) -> tuple[AudioOutput, ...]:
    default = next((a.index for a in info.audio if a.default), info.audio[0].index if info.audio else -1)
    return tuple(
        AudioOutput(
            stream=audio.index,
            folder=_unique("audio", audio.language, names),
            language=audio.language,
            label=audio.title or (audio.language.name if audio.language else f"Audio {number}"),
            is_default=audio.index == default,
        )
        for number, audio in enumerate(info.audio, start=1)
    )


def _source_subtitles(info: MediaInfo, names: set[str]) -> tuple[list[SubtitleOutput], list[str]]:
    outputs, notes = [], []
    for number, sub in enumerate(info.subtitles, start=1):
        if not sub.is_text:
            notes.append(f"subtitle stream {sub.index} ({sub.codec}) is a bitmap format and cannot become WebVTT")
            continue
        label = sub.title or (sub.language.name if sub.language else f"Subtitles {number}")
        outputs.append(SubtitleOutput(0, sub.index, _unique("subs", sub.language, names), sub.language, label))
    return outputs, notes


def _unique(prefix: str, lang: Language | None, taken: set[str]) -> str:
    base = f"{prefix}-{lang.code if lang else 'und'}"
    name, number = base, 2
    while name in taken:
        name, number = f"{base}-{number}", number + 1
    taken.add(name)
    return name
