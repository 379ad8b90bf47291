from __future__ import annotations

import numpy as np

from airwave.watermark.align import Geometry, fit_geometry, photometric_fit, search_time, thumbnails
from airwave.watermark.pattern import segment_pattern


def _scene(frames: int, width: int = 256, height: int = 144) -> np.ndarray:
    """Moving smooth random texture: content with both spatial and temporal structure."""
    base = [segment_pattern(b"scene", n, width * 2, height) for n in range(3)]
    out = []
    for t in range(frames):
        shift = (t * 3) % width
        out.append(
            np.clip(128 + 30 * base[0][:, shift : shift + width] + 10 * base[1 + t // 40 % 2][:, :width], 0, 255)
        )
    return np.stack(out).astype(np.uint8)


def test_time_offset_maps_capture_times_across_a_frame_rate_change() -> None:
    reference = _scene(200)
    start = 37
    times = np.arange(0, 4.0, 1 / 30)  # a 30 fps capture of a 25 fps title
    capture = reference[np.minimum(start + np.round(times * 25).astype(int), 199)]
    offset, match, crop = search_time(capture, times, thumbnails(reference), 25.0)
    assert offset == start
    assert match > 0.99
    assert crop == Geometry()


def test_time_offset_is_found_through_a_crop() -> None:
    reference = _scene(120)
    cropped = Geometry(0.92, 0.04, 0.92, 0.04)
    warp = cropped.warp(230, 130, 256, 144)
    capture = np.stack([warp(frame) for frame in reference[50:110]]).round().astype(np.uint8)
    offset, match, crop = search_time(capture, np.arange(60) / 25, thumbnails(reference), 25.0)
    assert offset == 50
    assert match > 0.95
    assert crop.scale_x < 1


def test_geometry_recovers_a_crop_and_rescale() -> None:
    reference = _scene(6)
    truth = Geometry(0.92, 0.05, 0.92, 0.03)  # 8 % crop, off centre
    capture = np.stack([truth.warp(200, 112, 256, 144)(frame) for frame in reference]).round().astype(np.uint8)
    found, match = fit_geometry(capture, reference)
    assert match > 0.97
    for name in ("scale_x", "shift_x", "scale_y", "shift_y"):
        assert abs(getattr(found, name) - getattr(truth, name)) < 0.01, found


def test_geometry_recovers_a_letterbox() -> None:
    reference = _scene(6)
    truth = Geometry(1.0, 0.0, 1.2, -0.1)  # picture squeezed into the middle 5/6 of the height
    warp = truth.warp(256, 144, 256, 144)
    capture = np.stack([np.where(warp.valid, warp(frame), 16) for frame in reference]).round().astype(np.uint8)
    found, _match = fit_geometry(capture, reference)
    assert abs(found.scale_y - 1.2) < 0.02
    assert abs(found.shift_y + 0.1) < 0.02


def test_photometric_fit_removes_brightness_and_contrast() -> None:
    model = _scene(1)[0].astype(np.float32)
    capture = 0.8 * model + 20 + 0.001 * model**2
    residual = photometric_fit(capture, model, np.ones(model.shape, bool))
    assert float(np.abs(residual).max()) < 0.05
