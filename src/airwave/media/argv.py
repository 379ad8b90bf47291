"""The one ffmpeg command of an ingest. Pure: renders an :class:`EncodePlan` as an argv list.

The source is decoded once; its video is split to every rung, the thumbnail sprite and the poster. Every
rung is encoded with the same fixed GOP and keyframes forced on segment boundaries (scene-cut keyframes off),
so segment N of every rung covers the same time span and players can switch between rungs at any segment
(RFC 8216 6.2.4; Apple HLS authoring spec: "keyframes aligned across variants").
"""

from __future__ import annotations

from pathlib import Path

from airwave.media.plan import AUDIO_BITRATE, AUDIO_CHANNELS, AUDIO_RATE, EncodePlan, VideoOutput

PLAYLIST = "index.m3u8"
INIT = "init.mp4"
SEGMENT = "seg_%05d.m4s"
SUBTITLES = "subs.vtt"
POSTER = "poster.jpg"
SPRITE = "thumbs.jpg"
PROGRESS_PERIOD = 0.5  # seconds between -progress reports


def build_argv(ffmpeg: str, plan: EncodePlan, out_dir: Path) -> list[str]:
    """The complete command, writing every rendition and artwork under ``out_dir`` (which must exist)."""
    argv = [ffmpeg, "-hide_banner", "-nostdin", "-y", "-loglevel", "level+warning", "-nostats"]
    argv += ["-progress", "pipe:1", "-stats_period", str(PROGRESS_PERIOD)]
    # "file:" keeps names with colons, spaces or quotes from being read as a protocol or an option.
    for path in (plan.source, *plan.subtitle_files):
        argv += ["-i", f"file:{path}"]
    argv += ["-filter_complex", filter_graph(plan)]
    for number, video in enumerate(plan.videos):
        argv += _video_output(plan, number, video, out_dir)
    for audio in plan.audios:
        argv += ["-map", f"0:{audio.stream}", "-c:a", "aac", "-b:a", str(AUDIO_BITRATE)]
        argv += ["-ac", str(AUDIO_CHANNELS), "-ar", str(AUDIO_RATE), *_hls(plan, out_dir / audio.folder)]
    for sub in plan.subtitles:
        argv += ["-map", f"{sub.input}:{sub.stream}", "-c:s", "webvtt", "-f", "webvtt"]
        argv += [str(out_dir / sub.folder / SUBTITLES)]
    argv += ["-map", "[sprite]", "-c:v", "mjpeg", "-q:v", "5", "-frames:v", "1", "-update", "1"]
    argv += [str(out_dir / SPRITE)]
    argv += ["-map", "[poster]", "-c:v", "mjpeg", "-q:v", "3", "-frames:v", "1", "-update", "1"]
    return [*argv, str(out_dir / POSTER)]


def filter_graph(plan: EncodePlan) -> str:
    """Decode once, split to each rung, the sprite and the poster; scale each to its size as 8-bit 4:2:0."""
    branches = len(plan.videos) + 2
    labels = "".join(f"[s{number}]" for number in range(branches))
    chains = [f"[0:{plan.video_stream}]split={branches}{labels}"]
    for number, video in enumerate(plan.videos):
        chains.append(f"[s{number}]{_scale(video.rung.width, video.rung.height)}[v{number}]")
    sprite, poster = plan.sprite, plan.poster
    chains.append(
        f"[s{branches - 2}]fps=1/{sprite.interval},{_scale(sprite.width, sprite.height)},"
        f"tile={sprite.columns}x{sprite.rows}[sprite]"
    )
    # The second trim ends the branch after one frame, so the rest of the film is not scaled for nothing.
    chains.append(
        f"[s{branches - 1}]trim=start={poster.at},trim=end_frame=1,{_scale(poster.width, poster.height)}[poster]"
    )
    return ";".join(chains)


def _scale(width: int, height: int) -> str:
    # setsar=1: the output has square pixels at exactly the display aspect the ladder planned.
    return f"scale={width}:{height},setsar=1,format=yuv420p"


def _video_output(plan: EncodePlan, number: int, video: VideoOutput, out_dir: Path) -> list[str]:
    rung, gop = video.rung, str(plan.gop)
    argv = ["-map", f"[v{number}]", "-c:v", "libx264", "-preset", plan.preset, "-profile:v", "high"]
    argv += ["-b:v", str(rung.bitrate), "-maxrate", str(rung.maxrate), "-bufsize", str(rung.bufsize)]
    argv += ["-g", gop, "-keyint_min", gop, "-sc_threshold", "0"]
    argv += ["-force_key_frames", f"expr:gte(t,n_forced*{plan.segment_seconds:g})"]
    if plan.threads:
        argv += ["-threads", str(plan.threads)]
    return [*argv, *_hls(plan, out_dir / video.folder)]


def _hls(plan: EncodePlan, folder: Path) -> list[str]:
    # RFC 8216 3.3 fMP4 segments with an EXT-X-MAP init section; VOD: the playlist is complete and final.
    segments = str(folder).replace("%", "%%") + "/" + SEGMENT
    return [
        "-f", "hls", "-hls_time", f"{plan.segment_seconds:g}", "-hls_playlist_type", "vod",
        "-hls_segment_type", "fmp4", "-hls_fmp4_init_filename", INIT, "-hls_flags", "independent_segments",
        "-start_number", "1", "-hls_segment_filename", segments, str(folder / PLAYLIST),
    ]  # fmt: skip
