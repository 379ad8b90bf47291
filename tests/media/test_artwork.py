from __future__ import annotations

from airwave.media.artwork import plan_poster, plan_sprite, thumbnails_vtt


def test_short_clip_gets_a_tile_per_second() -> None:
    sprite = plan_sprite(3.0, 320, 180)
    assert (sprite.interval, sprite.width, sprite.height, sprite.columns, sprite.count) == (1, 160, 90, 3, 3)


def test_long_film_gets_a_tile_every_ten_seconds_in_rows_of_ten() -> None:
    sprite = plan_sprite(7200.0, 1920, 800)
    assert (sprite.interval, sprite.count, sprite.columns, sprite.rows) == (10, 720, 10, 72)
    assert sprite.height % 2 == 0


def test_very_long_programme_stays_within_jpeg_limits() -> None:
    sprite = plan_sprite(48 * 3600.0, 1920, 1080)
    assert sprite.rows * sprite.height < 65_535


def test_thumbnail_track_addresses_each_tile() -> None:
    sprite = plan_sprite(12.5, 160, 90)  # 13 tiles, 10 a row
    text = thumbnails_vtt(sprite, 12.5)
    assert text.startswith("WEBVTT\n\n00:00:00.000 --> 00:00:01.000\nthumbs.jpg#xywh=0,0,160,90\n")
    assert "00:00:10.000 --> 00:00:11.000\nthumbs.jpg#xywh=0,90,160,90" in text
    assert text.rstrip().endswith("00:00:12.000 --> 00:00:12.500\nthumbs.jpg#xywh=320,90,160,90")


def test_poster_is_ten_percent_in_and_at_most_1280_wide() -> None:
    poster = plan_poster(100.0, 0.0, 1920, 1080)
    assert (poster.at, poster.width, poster.height) == (10.0, 1280, 720)
