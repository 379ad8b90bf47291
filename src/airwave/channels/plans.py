"""Which ffmpeg command a channel's primary or backup run gets. Pure: what the source carries is probed by the
caller (``channels.sources.probe_source``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from airwave.channels.sources import Source, SourceInfo, ffmpeg_input, parse_source
from airwave.config import Settings
from airwave.media.ladder import Rung, plan_ladder
from airwave.media.live_argv import PASSTHROUGH, RunOutput, encode_argv, passthrough_argv

HLS_VIDEO = ("h264", "hevc")  # codecs fMP4 HLS players take as they are
LADDER_SOURCE = (1920, 1080, 25.0)  # the ladder is planned for a full-HD source; taller rungs are not made


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
    watermark: bool = False  # forensic A/B marking of its segments (channels.marking)

    @property
    def source(self) -> Source:
        return parse_source(self.source_url)


@dataclass(frozen=True)
class RunPlan:
    run: str
    argv: list[str]
    renditions: tuple[str, ...]
    stdin: bool
    rungs: tuple[Rung, ...] = ()  # the ladder it encodes; () for passthrough


def ladder_rungs(settings: Settings, info: SourceInfo | None = None) -> list[Rung]:
    """The live ladder for a source: rungs no taller than the source (never upscaled), all of them when the
    source's size is unknown (a push source, before it arrives)."""
    if info is None:
        return plan_ladder(LADDER_SOURCE[0], LADDER_SOURCE[1], LADDER_SOURCE[2], settings.live_ladder)
    return plan_ladder(info.width, info.height, info.fps, settings.live_ladder)


def suits_passthrough(info: SourceInfo | None) -> bool:
    """Whether a source can be remuxed as it is: its video is H.264 or HEVC (or unknown until it plays)."""
    return info is None or info.video in HLS_VIDEO


def source_plan(
    settings: Settings, ffmpeg: str, config: ChannelConfig, source: Source, out: RunOutput,
    info: SourceInfo | None = None, rungs: Sequence[Rung] | None = None,
) -> RunPlan:  # fmt: skip
    """Passthrough when the source's codecs suit HLS (or cannot be known before it plays), else the ladder.

    ``info`` is what :func:`~airwave.channels.sources.probe_source` found; ``rungs`` keeps a channel's ladder
    the same across its sources (a backup or a restart must not change the renditions players know).
    """
    inputs = ffmpeg_input(source, ingest_host=settings.ingest_host, srt_port=config.srt_port, key=config.stream_key)
    if config.mode == "ladder" or not suits_passthrough(info):
        rungs = list(rungs or ladder_rungs(settings, info))
        fps = info.fps if info is not None else LADDER_SOURCE[2]
        argv = encode_argv(ffmpeg, inputs, out, rungs, preset=settings.live_x264_preset, fps=fps,
                           cap_at_source=info is None)  # fmt: skip
        return RunPlan(out.run, argv, tuple(r.name for r in rungs), source.kind == "rtmp-push", tuple(rungs))
    copy_audio = info is None or info.audio in (None, "aac")
    argv = passthrough_argv(ffmpeg, inputs, out, copy_audio=copy_audio)
    return RunPlan(out.run, argv, (PASSTHROUGH,), source.kind == "rtmp-push")
