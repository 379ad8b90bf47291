"""Which ffmpeg command a channel's primary, backup or slate run gets. Pure apart from probing a file source."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from airwave.channels.meta import LiveRendition
from airwave.channels.sources import Source, ffmpeg_input, parse_source
from airwave.config import Settings
from airwave.errors import AirwaveError
from airwave.media.ladder import Rung, plan_ladder
from airwave.media.live_argv import PASSTHROUGH, RunOutput, encode_argv, passthrough_argv, slate_input_argv
from airwave.media.probe import probe

log = logging.getLogger(__name__)

HLS_VIDEO = ("h264", "hevc")  # codecs fMP4 HLS players take as they are
LADDER_SOURCE = (1920, 1080, 25.0)  # the ladder is planned for a full-HD source; taller rungs are not made
SLATE_DEFAULT = (1280, 720, 25.0)


@dataclass(frozen=True)
class ChannelConfig:
    """What the supervisor needs of a channel row; a change restarts the channel's runs."""

    slug: str
    source_url: str
    backup_url: str
    mode: str
    dvr_hours: float
    stream_key: str
    srt_port: int | None

    @property
    def source(self) -> Source:
        return parse_source(self.source_url)


@dataclass(frozen=True)
class RunPlan:
    run: str
    argv: list[str]
    renditions: tuple[str, ...]
    stdin: bool


def ladder_rungs(settings: Settings) -> list[Rung]:
    return plan_ladder(LADDER_SOURCE[0], LADDER_SOURCE[1], LADDER_SOURCE[2], settings.live_ladder)


def source_plan(settings: Settings, ffmpeg: str, config: ChannelConfig, source: Source, out: RunOutput) -> RunPlan:
    """Passthrough when the source's codecs suit HLS (or cannot be known before it plays), else the ladder."""
    inputs = ffmpeg_input(source, ingest_host=settings.ingest_host, srt_port=config.srt_port, key=config.stream_key)
    video, audio = _file_codecs(source)
    if config.mode == "ladder" or (video is not None and video not in HLS_VIDEO):
        rungs = ladder_rungs(settings)
        argv = encode_argv(ffmpeg, inputs, out, rungs, preset=settings.live_x264_preset, fps=LADDER_SOURCE[2])
        return RunPlan(out.run, argv, tuple(r.name for r in rungs), source.kind == "rtmp-push")
    copy_audio = audio is None or audio == "aac"
    argv = passthrough_argv(ffmpeg, inputs, out, copy_audio=copy_audio)
    return RunPlan(out.run, argv, (PASSTHROUGH,), source.kind == "rtmp-push")


def slate_plan(
    settings: Settings, ffmpeg: str, config: ChannelConfig, known: list[LiveRendition], out: RunOutput
) -> RunPlan:
    """ "Back shortly", made by ffmpeg with the renditions (names, sizes, codecs) the channel already has."""
    if config.mode == "ladder":
        rungs = ladder_rungs(settings)
        width, height, fps = rungs[0].width, rungs[0].height, LADDER_SOURCE[2]
    else:
        first = next((r for r in known if r.width and r.height), None)
        width, height = (first.width or 0, first.height or 0) if first else SLATE_DEFAULT[:2]
        fps = (first.frame_rate if first else None) or SLATE_DEFAULT[2]
        rungs = [Rung(PASSTHROUGH, int(width), int(height), 300_000, 400_000, 800_000)]
    inputs = slate_input_argv(int(width), int(height), min(fps, 30.0))
    argv = encode_argv(ffmpeg, inputs, out, rungs, preset="ultrafast", fps=min(fps, 30.0), audio_input=1)
    return RunPlan(out.run, argv, tuple(r.name for r in rungs), False)


def _file_codecs(source: Source) -> tuple[str | None, str | None]:
    if source.kind != "file":
        return None, None  # a live source cannot be probed without taking it from the run
    try:
        info = probe(source.path)
    except AirwaveError as exc:
        log.warning("cannot probe %s: %s", source.path, exc)
        return None, None
    return info.video.codec, info.audio[0].codec if info.audio else None
