"""The ingest command line, checked without running ffmpeg."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

from airwave.media.argv import build_argv, filter_graph
from airwave.media.languages import language
from airwave.media.plan import EncodePlan, plan_encode
from airwave.media.probe import AudioInfo, MediaInfo, SubtitleInfo, VideoInfo

OUT = Path("/data/staging/j1-film")


def media(width: int = 1920, height: int = 1080, *, audio: int = 2, bit_depth: int = 8) -> MediaInfo:
    video = VideoInfo(0, "h264", width, height, Fraction(1), 0, 25.0, "yuv420p", bit_depth)
    tracks = tuple(
        AudioInfo(1 + n, "aac", 6, 48000, language(code), "", n == 1) for n, code in enumerate(["eng", "fra"][:audio])
    )
    subtitles = (
        SubtitleInfo(3, "subrip", language("eng"), "", True, False),
        SubtitleInfo(4, "hdmv_pgs_subtitle", language("fra"), "", False, False),
    )
    return MediaInfo(Path('/in/my film\'s "cut".mkv'), 1000, "matroska", 30.0, 0.0, video, tracks, subtitles)


def plan(**kwargs: object) -> EncodePlan:
    info = media(**kwargs)  # type: ignore[arg-type]
    external = [(Path("/in/extra.fr.srt"), language("fr"))]
    return plan_encode(info, heights=(720, 360), segment_seconds=4.0, preset="veryfast", subtitle_files=external)


def options(argv: list[str], output: str) -> list[str]:
    """The arguments belonging to one output: those after the previous output file up to ``output``."""
    end = argv.index(output)
    outputs = [i for i, arg in enumerate(argv[:end]) if arg.endswith((".m3u8", ".vtt", ".jpg"))]
    start = max(outputs, default=argv.index("-filter_complex") + 1) + 1
    return argv[start:end]


def test_one_command_decodes_once_and_splits_to_every_rung_sprite_and_poster() -> None:
    argv = build_argv("ffmpeg", plan(), OUT)
    assert argv.count("-i") == 2  # the source and the --subtitles file
    graph = filter_graph(plan())
    assert graph.startswith("[0:0]split=4[s0][s1][s2][s3];")
    assert "[s0]scale=1280:720,setsar=1,format=yuv420p[v0]" in graph
    assert "[s1]scale=640:360,setsar=1,format=yuv420p[v1]" in graph
    assert "fps=1/1,scale=160:90,setsar=1,format=yuv420p,tile=10x3[sprite]" in graph
    assert "trim=start=3.0,trim=end_frame=1,scale=1280:720" in graph


def test_inputs_are_passed_as_file_urls_so_odd_names_are_safe() -> None:
    argv = build_argv("ffmpeg", plan(), OUT)
    assert 'file:/in/my film\'s "cut".mkv' in argv
    assert "file:/in/extra.fr.srt" in argv


def test_every_rung_has_the_same_keyframe_cadence() -> None:
    argv = build_argv("ffmpeg", plan(), OUT)
    for rung in ("720p", "360p"):
        args = options(argv, f"{OUT}/{rung}/index.m3u8")
        assert args[args.index("-g") + 1] == "100"  # 25 fps x 4 s
        assert args[args.index("-keyint_min") + 1] == "100"
        assert args[args.index("-sc_threshold") + 1] == "0"
        assert args[args.index("-force_key_frames") + 1] == "expr:gte(t,n_forced*4)"
        assert args[args.index("-c:v") + 1] == "libx264"
        assert args[args.index("-preset") + 1] == "veryfast"


def test_each_rung_is_a_cmaf_vod_playlist() -> None:
    argv = build_argv("ffmpeg", plan(), OUT)
    args = options(argv, f"{OUT}/720p/index.m3u8")
    pairs = {flag: args[i + 1] for i, flag in enumerate(args[:-1]) if flag.startswith("-")}
    assert pairs["-f"] == "hls"
    assert pairs["-hls_segment_type"] == "fmp4"
    assert pairs["-hls_playlist_type"] == "vod"
    assert pairs["-hls_fmp4_init_filename"] == "init.mp4"
    assert pairs["-hls_segment_filename"] == f"{OUT}/720p/seg_%05d.m4s"
    assert pairs["-hls_flags"] == "independent_segments"
    assert pairs["-hls_time"] == "4"


def test_bitrate_caps_come_from_the_ladder() -> None:
    p = plan()
    args = options(build_argv("ffmpeg", p, OUT), f"{OUT}/720p/index.m3u8")
    rung = p.videos[0].rung
    assert args[args.index("-b:v") + 1] == str(rung.bitrate)
    assert args[args.index("-maxrate") + 1] == str(rung.maxrate)
    assert args[args.index("-bufsize") + 1] == str(rung.bufsize)


def test_one_stereo_aac_rendition_per_audio_stream_keeping_languages() -> None:
    p = plan()
    assert [(a.folder, a.language.tag if a.language else None, a.is_default) for a in p.audios] == [
        ("audio-eng", "en", False),
        ("audio-fra", "fr", True),  # the source's default stream stays the default
    ]
    argv = build_argv("ffmpeg", p, OUT)
    for stream, folder in ((1, "audio-eng"), (2, "audio-fra")):
        args = options(argv, f"{OUT}/{folder}/index.m3u8")
        assert args[:2] == ["-map", f"0:{stream}"]
        assert args[args.index("-c:a") + 1] == "aac"
        assert args[args.index("-ac") + 1] == "2"


def test_text_subtitles_become_webvtt_and_bitmaps_are_noted() -> None:
    p = plan()
    assert [(s.input, s.stream, s.folder) for s in p.subtitles] == [(0, 3, "subs-eng"), (1, 0, "subs-fr")]
    assert any("bitmap" in note for note in p.notes)
    argv = build_argv("ffmpeg", p, OUT)
    args = options(argv, f"{OUT}/subs-fr/subs.vtt")
    assert args == ["-map", "1:0", "-c:s", "webvtt", "-f", "webvtt"]


def test_progress_goes_to_stdout_and_stats_are_off() -> None:
    argv = build_argv("ffmpeg", plan(), OUT)
    assert argv[argv.index("-progress") + 1] == "pipe:1"
    assert "-nostats" in argv
    assert "-nostdin" in argv


def test_ten_bit_input_is_encoded_as_8_bit() -> None:
    graph = filter_graph(plan(bit_depth=10))
    assert graph.count("format=yuv420p") == 4


def test_percent_in_the_data_path_does_not_become_a_segment_pattern() -> None:
    argv = build_argv("ffmpeg", plan(), Path("/data/100%/j1"))
    assert "/data/100%%/j1/720p/seg_%05d.m4s" in argv


def test_duplicate_languages_get_distinct_folders() -> None:
    info = media()
    info = MediaInfo(info.path, info.size, info.container, info.duration, 0.0, info.video,
                     (info.audio[0], info.audio[0]), ())  # fmt: skip
    p = plan_encode(info, heights=(360,), segment_seconds=2.0, preset="ultrafast")
    assert [a.folder for a in p.audios] == ["audio-eng", "audio-eng-2"]
