from __future__ import annotations

import pytest

from airwave.media.ladder import plan_ladder

LADDER = (1080, 720, 480, 360)


def sizes(width: int, height: int, fps: float = 25.0, heights: tuple[int, ...] = LADDER) -> list[tuple[int, int]]:
    return [(rung.width, rung.height) for rung in plan_ladder(width, height, fps, heights)]


def test_full_hd_source_gets_the_whole_ladder_largest_first() -> None:
    assert sizes(1920, 1080) == [(1920, 1080), (1280, 720), (854, 480), (640, 360)]


def test_never_upscales() -> None:
    assert sizes(1280, 720) == [(1280, 720), (854, 480), (640, 360)]
    assert all(w <= 853 and h <= 480 for w, h in sizes(853, 480))


def test_odd_width_source_gets_even_dimensions_at_its_aspect() -> None:
    rungs = sizes(853, 480)
    assert rungs == [(852, 480), (640, 360)]
    assert all(w % 2 == 0 and h % 2 == 0 for w, h in rungs)


def test_source_below_the_smallest_rung_gets_one_rung_at_its_own_size() -> None:
    assert sizes(320, 180) == [(320, 180)]
    assert sizes(161, 91) == [(160, 90)]
    assert [r.name for r in plan_ladder(320, 180, 25, LADDER)] == ["180p"]


def test_4k_is_capped_at_the_top_rung() -> None:
    assert sizes(3840, 2160)[0] == (1920, 1080)


def test_portrait_video_is_laddered_by_its_short_side() -> None:
    assert sizes(1080, 1920) == [(1080, 1920), (720, 1280), (480, 854), (360, 640)]


def test_non_square_display_aspect_is_kept() -> None:
    # 720x576 PAL with 16:15 pixels displays as 768x576 (4:3).
    assert sizes(768, 576)[0] == (640, 480)


@pytest.mark.parametrize("fps", [24.0, 30.0, 60.0])
def test_bitrates_fall_with_size_and_peak_and_buffer_bound_them(fps: float) -> None:
    rungs = plan_ladder(1920, 1080, fps, LADDER)
    rates = [r.bitrate for r in rungs]
    assert rates == sorted(rates, reverse=True)
    assert 3_000_000 <= rates[0] <= 9_000_000
    for rung in rungs:
        assert rung.bitrate < rung.maxrate <= 2 * rung.bitrate
        assert rung.bufsize >= rung.maxrate


def test_higher_frame_rate_gets_more_bits() -> None:
    assert plan_ladder(1280, 720, 60, LADDER)[0].bitrate > plan_ladder(1280, 720, 30, LADDER)[0].bitrate
