"""Pictures and PSNR for the watermark bench: the mark before and after the encode, measured honestly.

Two x264 encodes of slightly different inputs differ by far more than the inputs do: on noisy texture any
change flips x264's mode, motion and quantiser decisions, and the two encodes then differ by about x264's
own coding error. Comparing a variant with an unmarked encode made some other way (the ladder's one-pass
ffmpeg) measures that, not the mark. So :func:`encode_controls` re-encodes the unmarked frames through the
very pipeline the variants went through (same raw decode, same x264 argv, one thread, same GOP and rate
control), plus a control whose input is nudged by one level on 1% of the pixels, and measures the mark
itself on the frames the encoders receive: the variant against the unmarked frame, before the encode.
"""

from __future__ import annotations

import io
import subprocess
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np

from airwave.media.plan import EncodePlan
from airwave.watermark.embed import Marker
from airwave.watermark.encode import decode_argv, encode_argv

CROP = (slice(180, 540), slice(320, 960))  # a 640x360 window at native pixels
AMPLIFY = 24
NUDGED_SHARE = 0.01  # share of pixels the "nudged" control moves by one level
SHOT_SEGMENT = 3  # the screenshot shows the middle frame of this segment


@dataclass(frozen=True)
class Controls:
    """What :func:`encode_controls` measured and wrote."""

    unmarked: Path  # the unmarked frames through the variants' encoder
    nudged: Path  # the unmarked frames, one level off on NUDGED_SHARE of the pixels, same encoder
    before: tuple[float, float]  # Y-PSNR of A and B against the unmarked frame, as fed to the encoder
    nudge_before: float  # Y-PSNR of the nudged input against the unmarked one
    shot: tuple[np.ndarray, np.ndarray]  # the unmarked and variant-A luma of the screenshot frame, pre-encode


def encode_controls(ffmpeg: str, plan: EncodePlan, marker: Marker, folder: Path) -> Controls:
    """Encode the rendition's unmarked frames (and a nudged copy) exactly as the variants were encoded, and
    measure the mark on the frames the encoders received."""
    video = plan.videos[0]
    width, height = video.rung.width, video.rung.height
    size, luma_size = width * height * 3 // 2, width * height
    out = {name: folder / name for name in ("unmarked", "nudged")}
    for path in out.values():
        path.mkdir(parents=True, exist_ok=True)
    decoder = subprocess.Popen(decode_argv(ffmpeg, plan, video), stdout=subprocess.PIPE)
    encoders = {n: subprocess.Popen(encode_argv(ffmpeg, plan, video, p), stdin=subprocess.PIPE) for n, p in out.items()}
    assert decoder.stdout is not None
    errors, count, frame = np.zeros(3), 0, 0
    shot_frame = round((SHOT_SEGMENT - 1 + 0.5) * marker.frames_per_segment)
    shot = (np.zeros((height, width), np.uint8), np.zeros((height, width), np.uint8))
    rng = np.random.default_rng(29)
    while len(raw := decoder.stdout.read(size)) == size:
        luma = np.frombuffer(raw, np.uint8, luma_size).reshape(height, width)
        a, b = marker.variants(luma, frame)
        nudged = _nudge(luma, rng)
        y = luma.astype(np.float64)
        errors += [float(np.sum((p.astype(np.float64) - y) ** 2)) for p in (a, b, nudged)]
        count += luma_size
        encoders["unmarked"].stdin.write(raw)  # type: ignore[union-attr]
        encoders["nudged"].stdin.write(nudged.tobytes() + raw[luma_size:])  # type: ignore[union-attr]
        if frame == shot_frame:
            shot = (luma.copy(), a)
        frame += 1
    for encoder in encoders.values():
        encoder.stdin.close()  # type: ignore[union-attr]
    if decoder.wait(timeout=600) != 0 or any(e.wait(timeout=600) != 0 for e in encoders.values()):
        raise RuntimeError("control encode failed")
    a_db, b_db, nudge_db = (_db(e / max(count, 1)) for e in errors)
    return Controls(out["unmarked"], out["nudged"], (a_db, b_db), nudge_db, shot)


def _nudge(luma: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    moved = luma.astype(np.int16)
    picks = rng.random(luma.shape) < NUDGED_SHARE
    moved[picks] += rng.choice(np.array([-1, 1], np.int16), size=int(picks.sum()))
    return np.clip(moved, 0, 255).astype(np.uint8)


def luma_frames(folder: Path) -> np.ndarray:
    """Every luma frame of an encoded rendition folder (its ``seg_*.m4s`` with the rung's init section)."""
    init = (folder.parent / "init.mp4" if folder.name in ("a", "b") else folder / "init.mp4").read_bytes()
    frames: list[np.ndarray] = []
    for segment in sorted(folder.glob("seg_*.m4s")):
        with av.open(io.BytesIO(init + segment.read_bytes()), format="mp4", mode="r") as container:
            frames.extend(luma(f) for f in container.decode(video=0))
    return np.stack(frames)


def luma(frame: av.VideoFrame) -> np.ndarray:
    """The frame's Y plane as coded (limited range: no conversion, unlike ``format="gray"``)."""
    planar = frame if frame.format.name == "yuv420p" else frame.reformat(format="yuv420p")
    return np.asarray(planar.to_ndarray()[: frame.height], np.uint8)


def psnr(first: Path, second: Path) -> float:
    """Y-PSNR between two encoded rendition folders, over every frame."""
    one, two = luma_frames(first), luma_frames(second)
    frames = min(len(one), len(two))
    return _db(float(np.mean((one[:frames].astype(np.float64) - two[:frames]) ** 2)))


def source_psnr(source: Path, encoded: Path) -> float:
    """Y-PSNR of an encoded rendition against its (same-size) source: the coding error the viewer sees."""
    pictures = luma_frames(encoded).astype(np.float64)
    error, count = 0.0, 0
    with av.open(str(source), mode="r") as container:
        for original, picture in zip(container.decode(video=0), pictures, strict=False):
            error += float(np.sum((luma(original).astype(np.float64) - picture) ** 2))
            count += picture.size
    return _db(error / max(count, 1))


def screenshot(ffmpeg: str, controls: Controls, marked: Path, target: Path) -> None:
    """A 2 x 2 panel of native-pixel crops of the middle frame of segment SHOT_SEGMENT.

    Top: the unmarked encode | variant A's encode. Bottom: the mark as embedded (variant A minus the unmarked
    frame, before encoding) | variant A's encode minus the unmarked encode; both differences x AMPLIFY,
    grey = 0.
    """
    name = f"seg_{SHOT_SEGMENT:05}.m4s"
    plain, plain_y = _frame(controls.unmarked / "init.mp4", controls.unmarked / name)
    marked_rgb, marked_y = _frame(marked / "init.mp4", marked / "a" / name)
    before = controls.shot[1].astype(np.float64) - controls.shot[0]
    after = marked_y.astype(np.float64) - plain_y
    top = np.concatenate([plain[CROP], marked_rgb[CROP]], axis=1)
    bottom = np.concatenate([_grey(before)[CROP], _grey(after)[CROP]], axis=1)
    panel = np.ascontiguousarray(np.concatenate([top, bottom], axis=0))
    target.parent.mkdir(parents=True, exist_ok=True)
    height, width, _ = panel.shape
    subprocess.run(
        [ffmpeg, "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{width}x{height}", "-i", "-",
         "-frames:v", "1", str(target)],
        input=panel.tobytes(), check=True, timeout=60,
    )  # fmt: skip


def _grey(difference: np.ndarray) -> np.ndarray:
    level = np.clip(128 + AMPLIFY * difference, 0, 255).astype(np.uint8)
    return np.repeat(level[:, :, None], 3, axis=2)


def _frame(init: Path, segment: Path) -> tuple[np.ndarray, np.ndarray]:
    with av.open(io.BytesIO(init.read_bytes() + segment.read_bytes()), format="mp4", mode="r") as container:
        frames = list(container.decode(video=0))
    middle = frames[len(frames) // 2]
    return middle.to_ndarray(format="rgb24"), luma(middle)


def _db(mse: float) -> float:
    return float(10 * np.log10(255**2 / max(mse, 1e-12)))
