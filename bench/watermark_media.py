"""Pictures and PSNR for the watermark bench: decoding our rung's segments at full size."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import av
import numpy as np

CROP = (slice(180, 540), slice(320, 960))  # a 640x360 window at native pixels
AMPLIFY = 24


def luma_frames(folder: Path, name: str) -> np.ndarray:
    """All luma frames of one segment file (``folder/name``) with the rung's init section."""
    data = (folder.parent / "init.mp4" if folder.name in ("a", "b") else folder / "init.mp4").read_bytes()
    with av.open(io.BytesIO(data + (folder / name).read_bytes()), format="mp4", mode="r") as container:
        return np.stack([luma(f) for f in container.decode(video=0)])


def luma(frame: av.VideoFrame) -> np.ndarray:
    """The frame's Y plane as coded (limited range: no conversion, unlike ``format="gray"``)."""
    planar = frame if frame.format.name == "yuv420p" else frame.reformat(format="yuv420p")
    return np.asarray(planar.to_ndarray()[: frame.height], np.uint8)


def psnr(unmarked: Path, marked: Path, variant: str) -> float:
    """Y-PSNR of every frame of ``variant`` against the unmarked encode, over the whole clip."""
    error, count = 0.0, 0
    for segment in sorted(p.name for p in unmarked.glob("seg_*.m4s")):
        plain = luma_frames(unmarked, segment).astype(np.float64)
        other = luma_frames(marked / variant, segment).astype(np.float64)
        frames = min(len(plain), len(other))
        error += float(np.sum((plain[:frames] - other[:frames]) ** 2))
        count += plain[:frames].size
    return float(10 * np.log10(255**2 / max(error / count, 1e-12)))


def source_psnr(source: Path, unmarked: Path) -> float:
    """Y-PSNR of the unmarked encode against its source: the coding noise every encode carries."""
    error, count = 0.0, 0
    with av.open(str(source), mode="r") as container:
        frames = container.decode(video=0)
        for segment in sorted(p.name for p in unmarked.glob("seg_*.m4s")):
            for encoded in luma_frames(unmarked, segment).astype(np.float64):
                original = next(frames, None)
                if original is None:
                    break
                error += float(np.sum((luma(original).astype(np.float64) - encoded) ** 2))
                count += encoded.size
    return float(10 * np.log10(255**2 / max(error / max(count, 1), 1e-12)))


def screenshot(ffmpeg: str, unmarked: Path, marked: Path, target: Path) -> None:
    """Unmarked | variant A | (A - B) x AMPLIFY, a native-pixel crop of a mid-segment frame of segment 3."""
    plain = _rgb(unmarked / "init.mp4", unmarked / "seg_00003.m4s")
    a = _rgb(marked / "init.mp4", marked / "a" / "seg_00003.m4s")
    b = _rgb(marked / "init.mp4", marked / "b" / "seg_00003.m4s")
    difference = np.clip(128 + AMPLIFY * (a.astype(np.float64) - b) / 2, 0, 255).astype(np.uint8)
    panel = np.concatenate([plain[CROP], a[CROP], difference[CROP]], axis=1)
    target.parent.mkdir(parents=True, exist_ok=True)
    height, width, _ = panel.shape
    subprocess.run(
        [ffmpeg, "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{width}x{height}", "-i", "-",
         "-frames:v", "1", str(target)],
        input=panel.tobytes(), check=True, timeout=60,
    )  # fmt: skip


def _rgb(init: Path, segment: Path) -> np.ndarray:
    with av.open(io.BytesIO(init.read_bytes() + segment.read_bytes()), format="mp4", mode="r") as container:
        frames = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
    return frames[len(frames) // 2]
