"""Ingest end to end with real ffmpeg (SQLite only, to keep the suite fast): a file with two audio languages
and a text subtitle stream becomes a complete, playable, keyframe-aligned HLS title."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import av
import pytest

from airwave.catalog.ingest import run_job
from airwave.catalog.jobs import submit
from airwave.hls.playlist import attributes, parse_media_playlist
from airwave.runtime import Runtime
from airwave.store.tables import Title
from tests.media.clips import SRT, decode, make_clip, segment_starts_with_keyframe, sqlite_runtime

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Runtime, Title]]:
    tmp = tmp_path_factory.mktemp("ingest")
    source = make_clip(tmp / "film.mkv", size="640x360", seconds=3, languages=("eng", "fra"), subtitles=("eng",))
    (tmp / "extra.srt").write_text(SRT)
    with sqlite_runtime(tmp) as runtime:
        with runtime.db.session() as session:
            options = {"subtitles": [[str(tmp / "extra.srt"), "de"]]}
            job = submit(session, runtime.clock, source=source, name="Film", options=options)
        yield runtime, run_job(runtime, job.id)


def folder(published: tuple[Runtime, Title]) -> Path:
    runtime, title = published
    return runtime.settings.media_dir / str(title.media_path)


def master_tags(published: tuple[Runtime, Title], name: str) -> list[dict[str, str]]:
    text = (folder(published) / "master.m3u8").read_text()
    return [attributes(line.split(":", 1)[1]) for line in text.splitlines() if line.startswith(name + ":")]


def test_master_lists_every_rung_with_measured_attributes(published: tuple[Runtime, Title]) -> None:
    variants = master_tags(published, "#EXT-X-STREAM-INF")
    assert [v["RESOLUTION"] for v in variants] == ["640x360", "320x180"]
    for variant in variants:
        video, audio = variant["CODECS"].split(",")
        assert re.fullmatch(r"avc1\.[0-9A-F]{6}", video)
        assert audio == "mp4a.40.2"
        assert variant["FRAME-RATE"] == "25.000"
        assert int(variant["BANDWIDTH"]) >= int(variant["AVERAGE-BANDWIDTH"]) > 100_000
        assert (variant["AUDIO"], variant["SUBTITLES"]) == ("audio", "subs")
    assert int(variants[0]["BANDWIDTH"]) > int(variants[1]["BANDWIDTH"])


def test_master_has_both_audio_languages_and_both_subtitle_tracks(published: tuple[Runtime, Title]) -> None:
    media = master_tags(published, "#EXT-X-MEDIA")
    audio = [(m["LANGUAGE"], m["NAME"], m["DEFAULT"], m["CHANNELS"]) for m in media if m["TYPE"] == "AUDIO"]
    assert audio == [("en", "English", "YES", "2"), ("fr", "French", "NO", "2")]
    subtitles = [(m["LANGUAGE"], m["URI"]) for m in media if m["TYPE"] == "SUBTITLES"]
    assert subtitles == [("en", "subs-eng/index.m3u8"), ("de", "subs-de/index.m3u8")]


def test_every_rendition_decodes_end_to_end(published: tuple[Runtime, Title]) -> None:
    _runtime, title = published
    for rendition in title.renditions:
        if rendition.kind == "subtitles":
            continue
        frames, last = decode(folder(published) / rendition.playlist)
        assert last == pytest.approx(3.0, abs=0.15), rendition.name
        if rendition.kind == "video":
            assert frames == 75, rendition.name


def test_rungs_are_keyframe_aligned(published: tuple[Runtime, Title]) -> None:
    base = folder(published)
    playlists = {name: parse_media_playlist((base / name / "index.m3u8").read_text()) for name in ("360p", "180p")}
    durations = {name: [s.duration for s in p.segments] for name, p in playlists.items()}
    assert durations["360p"] == durations["180p"] == [1.0, 1.0, 1.0]
    for name, playlist in playlists.items():
        assert (playlist.independent_segments, playlist.ended, playlist.map_uri) == (True, True, "init.mp4")
        for segment in playlist.segments:
            assert segment_starts_with_keyframe(base / name / "init.mp4", base / name / segment.uri)


def test_subtitles_are_webvtt_in_a_single_segment_playlist(published: tuple[Runtime, Title]) -> None:
    for track in ("subs-eng", "subs-de"):
        playlist = parse_media_playlist((folder(published) / track / "index.m3u8").read_text())
        assert [s.uri for s in playlist.segments] == ["subs.vtt"]
        text = (folder(published) / track / "subs.vtt").read_text()
        assert text.startswith("WEBVTT")
        assert "00:00.200 --> 00:00.900\nHello" in text


def test_poster_and_thumbnail_sprite(published: tuple[Runtime, Title]) -> None:
    _runtime, title = published
    with av.open(str(folder(published) / "poster.jpg")) as poster:
        frame = next(poster.decode(video=0))
        assert (frame.width, frame.height) == (640, 360)
    assert title.thumbnails == {"interval": 1, "width": 160, "height": 90, "columns": 3, "count": 3}
    with av.open(str(folder(published) / "thumbs.jpg")) as sprite:
        frame = next(sprite.decode(video=0))
        assert (frame.width, frame.height) == (480, 90)
    cues = (folder(published) / "thumbs.vtt").read_text()
    assert "thumbs.jpg#xywh=320,0,160,90" in cues


def test_catalogue_rows_describe_the_files(published: tuple[Runtime, Title]) -> None:
    _runtime, title = published
    assert title.duration == pytest.approx(3.0, abs=0.05)
    kinds = [(r.kind, r.name, r.language, r.is_default) for r in title.renditions]
    assert kinds == [
        ("video", "360p", None, False),
        ("video", "180p", None, False),
        ("audio", "audio-eng", "en", True),
        ("audio", "audio-fra", "fr", False),
        ("subtitles", "subs-eng", "en", False),
        ("subtitles", "subs-de", "de", False),
    ]
    for rendition in title.renditions:
        assert (folder(published) / rendition.playlist).is_file()
