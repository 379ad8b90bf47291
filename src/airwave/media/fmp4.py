"""FLV (H.264 + AAC) to CMAF fMP4, in-process: an initialisation segment and one fragment per media segment.

Why: a passthrough channel only has to re-wrap the samples an encoder pushes; a muxer in the server's own
event loop does that for a few microseconds a sample, where an ffmpeg process per channel costs a process.
Pure apart from the clock-free bookkeeping of :class:`CmafMuxer`; nothing here touches files.

References: ISO/IEC 14496-12 (ISOBMFF: ftyp, moov, mvex/trex, moof/mfhd/traf/tfhd/tfdt/trun, mdat),
ISO/IEC 14496-15 5.3 (avcC, length-prefixed NAL units), ISO/IEC 14496-14 (mp4a, esds), ISO/IEC 14496-3
1.6.2.1 (AudioSpecificConfig), ITU-T H.264 7.3.2.1 (SPS), the FLV format E.4.2/E.4.3 (audio and video tags),
ISO/IEC 23000-19 (CMAF: one track fragment per track, sync sample first).
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass, field

VIDEO_TRACK, AUDIO_TRACK = 1, 2
VIDEO_TIMESCALE = 1000  # FLV timestamps are milliseconds: a finer scale would only add rounding
SYNC, NON_SYNC = 0x02000000, 0x01010000  # sample_depends_on=2 / depends_on=1 + is_non_sync_sample
AAC_FRAME = 1024  # samples in an AAC-LC frame
FLV_AVC, FLV_AAC = 7, 10
AAC_RATES = (96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350)
UNITY_MATRIX = struct.pack(">9I", 0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000)


class UnsupportedMedia(ValueError):
    """The stream carries something this muxer does not re-wrap (not H.264 video or AAC audio)."""


# --- boxes ------------------------------------------------------------------------------------------------


def box(kind: bytes, *parts: bytes) -> bytes:
    body = b"".join(parts)
    return struct.pack(">I", 8 + len(body)) + kind + body


def full_box(kind: bytes, version: int, flags: int, *parts: bytes) -> bytes:
    return box(kind, struct.pack(">I", (version << 24) | flags), *parts)


# --- codec configuration ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class VideoConfig:
    """An H.264 track: the avcC record as the encoder sent it, and what its first SPS says."""

    avcc: bytes
    width: int
    height: int

    @property
    def codec(self) -> str:
        """RFC 6381 ``avc1.PPCCLL``: profile, constraint flags, level (avcC bytes 1-3)."""
        return "avc1." + self.avcc[1:4].hex().upper()


@dataclass(frozen=True)
class AudioConfig:
    """An AAC track: its AudioSpecificConfig and what it says."""

    asc: bytes
    object_type: int
    rate: int
    channels: int

    @property
    def codec(self) -> str:
        return f"mp4a.40.{self.object_type}"


def parse_avcc(avcc: bytes) -> VideoConfig:
    """An avcC record (FLV AVC sequence header body) and the picture size of its first SPS."""
    if len(avcc) < 8 or avcc[0] != 1:
        raise UnsupportedMedia("the H.264 sequence header is not an avcC record")
    sps_count = avcc[5] & 0x1F
    width = height = 0
    if sps_count:
        size = struct.unpack_from(">H", avcc, 6)[0]
        width, height = sps_size(avcc[8 : 8 + size])
    return VideoConfig(bytes(avcc), width, height)


def parse_asc(asc: bytes) -> AudioConfig:
    """The audio object type, sample rate and channel count of an AudioSpecificConfig (14496-3 1.6.2.1)."""
    if len(asc) < 2:
        raise UnsupportedMedia("the AAC sequence header is too short")
    bits = _Bits(asc)
    object_type = bits.read(5)
    if object_type == 31:
        object_type = 32 + bits.read(6)
    index = bits.read(4)
    rate = bits.read(24) if index == 15 else (AAC_RATES[index] if index < len(AAC_RATES) else 0)
    channels = bits.read(4)
    if not rate:
        raise UnsupportedMedia(f"AAC sampling frequency index {index} is reserved")
    return AudioConfig(bytes(asc), object_type, rate, channels or 2)


class _Bits:
    """A big-endian bit reader with Exp-Golomb codes (H.264 7.2, 9.1)."""

    def __init__(self, data: bytes) -> None:
        self.value, self.left = int.from_bytes(data, "big"), len(data) * 8

    def read(self, count: int) -> int:
        if count > self.left:
            raise UnsupportedMedia("a codec header ended early")
        self.left -= count
        return (self.value >> self.left) & ((1 << count) - 1)

    def ue(self) -> int:
        zeros = 0
        while self.read(1) == 0:
            zeros += 1
            if zeros > 31:
                raise UnsupportedMedia("a bad Exp-Golomb code in the H.264 SPS")
        return (1 << zeros) - 1 + self.read(zeros)

    def se(self) -> int:
        code = self.ue()
        return (code + 1) // 2 if code & 1 else -(code // 2)


def sps_size(nal: bytes) -> tuple[int, int]:
    """Width and height (after cropping) of an H.264 sequence parameter set NAL unit (7.3.2.1.1)."""
    rbsp = nal[1:].replace(b"\x00\x00\x03", b"\x00\x00")  # emulation prevention bytes out
    bits = _Bits(rbsp[:64])
    profile = bits.read(8)
    bits.read(16)  # constraint flags, level
    bits.ue()  # seq_parameter_set_id
    chroma = 1
    if profile in (100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135):
        chroma = bits.ue()
        if chroma == 3:
            bits.read(1)
        bits.ue(), bits.ue(), bits.read(1)  # bit depths, qpprime_y_zero_transform_bypass
        if bits.read(1):  # seq_scaling_matrix_present_flag
            for index in range(8 if chroma != 3 else 12):
                if bits.read(1):
                    _skip_scaling_list(bits, 16 if index < 6 else 64)
    bits.ue()  # log2_max_frame_num_minus4
    order = bits.ue()
    if order == 0:
        bits.ue()
    elif order == 1:
        bits.read(1), bits.se(), bits.se()
        for _ in range(bits.ue()):
            bits.se()
    bits.ue(), bits.read(1)  # max_num_ref_frames, gaps_in_frame_num_allowed
    width_mbs, height_units = bits.ue() + 1, bits.ue() + 1
    frame_mbs_only = bits.read(1)
    if not frame_mbs_only:
        bits.read(1)
    bits.read(1)  # direct_8x8_inference
    crop = (bits.ue(), bits.ue(), bits.ue(), bits.ue()) if bits.read(1) else (0, 0, 0, 0)
    crop_x = 1 if chroma in (0, 3) else 2
    crop_y = (1 if chroma in (0, 3) else (2 if chroma == 1 else 1)) * (2 - frame_mbs_only)
    width = width_mbs * 16 - crop_x * (crop[0] + crop[1])
    height = (2 - frame_mbs_only) * height_units * 16 - crop_y * (crop[2] + crop[3])
    return width, height


def _skip_scaling_list(bits: _Bits, size: int) -> None:
    last = following = 8
    for _ in range(size):
        if following:
            following = (last + bits.se() + 256) % 256
        last = following or last


# --- initialisation segment ---------------------------------------------------------------------------------


def init_segment(video: VideoConfig | None, audio: AudioConfig | None) -> bytes:
    """ftyp + moov with one track per configured stream, fragmented (mvex/trex), no samples."""
    ftyp = box(b"ftyp", b"iso6", struct.pack(">I", 0), b"iso6", b"cmfc", b"mp41")
    mvhd = full_box(b"mvhd", 0, 0, struct.pack(">IIII", 0, 0, 1000, 0), struct.pack(">IH10x", 0x10000, 0x100),
                    UNITY_MATRIX, bytes(24), struct.pack(">I", AUDIO_TRACK + 1))  # fmt: skip
    traks, trexs = [], []
    if video is not None:
        traks.append(_video_trak(video))
        trexs.append(_trex(VIDEO_TRACK))
    if audio is not None:
        traks.append(_audio_trak(audio))
        trexs.append(_trex(AUDIO_TRACK))
    return ftyp + box(b"moov", mvhd, *traks, box(b"mvex", *trexs))


def _trex(track: int) -> bytes:
    return full_box(b"trex", 0, 0, struct.pack(">IIIII", track, 1, 0, 0, 0))


def _tkhd(track: int, volume: int, width: int, height: int) -> bytes:
    return full_box(b"tkhd", 0, 3, struct.pack(">IIII", 0, 0, track, 0), struct.pack(">I8xHHH2x", 0, 0, 0, volume),
                    UNITY_MATRIX, struct.pack(">II", width << 16, height << 16))  # fmt: skip


def _mdia(timescale: int, handler: bytes, name: bytes, header: bytes, entry: bytes) -> bytes:
    mdhd = full_box(b"mdhd", 0, 0, struct.pack(">IIIIHH", 0, 0, timescale, 0, 0x55C4, 0))  # language "und"
    hdlr = full_box(b"hdlr", 0, 0, struct.pack(">I", 0), handler, bytes(12), name + b"\x00")
    dinf = box(b"dinf", full_box(b"dref", 0, 0, struct.pack(">I", 1), full_box(b"url ", 0, 1)))
    empty = struct.pack(">I", 0)
    stbl = box(b"stbl", full_box(b"stsd", 0, 0, struct.pack(">I", 1), entry), full_box(b"stts", 0, 0, empty),
               full_box(b"stsc", 0, 0, empty), full_box(b"stsz", 0, 0, empty, empty),
               full_box(b"stco", 0, 0, empty))  # fmt: skip
    return box(b"mdia", mdhd, hdlr, box(b"minf", header, dinf, stbl))


def _video_trak(config: VideoConfig) -> bytes:
    entry = box(
        b"avc1", bytes(6), struct.pack(">H", 1), bytes(16), struct.pack(">HH", config.width, config.height),
        struct.pack(">IIIH", 0x480000, 0x480000, 0, 1), bytes(32), struct.pack(">Hh", 0x18, -1),
        box(b"avcC", config.avcc),
    )  # fmt: skip
    vmhd = full_box(b"vmhd", 0, 1, bytes(8))
    mdia = _mdia(VIDEO_TIMESCALE, b"vide", b"Video", vmhd, entry)
    return box(b"trak", _tkhd(VIDEO_TRACK, 0, config.width, config.height), mdia)


def _audio_trak(config: AudioConfig) -> bytes:
    entry = box(
        b"mp4a", bytes(6), struct.pack(">H", 1), bytes(8), struct.pack(">HHHH", config.channels, 16, 0, 0),
        struct.pack(">I", (config.rate << 16) if config.rate < 0x10000 else 0), _esds(config.asc),
    )  # fmt: skip
    smhd = full_box(b"smhd", 0, 0, bytes(4))
    mdia = _mdia(config.rate, b"soun", b"Audio", smhd, entry)
    return box(b"trak", _tkhd(AUDIO_TRACK, 0x100, 0, 0), mdia)


def _descriptor(tag: int, body: bytes) -> bytes:
    size = len(body)
    return bytes([tag, 0x80 | (size >> 21) & 0x7F, 0x80 | (size >> 14) & 0x7F, 0x80 | (size >> 7) & 0x7F,
                  size & 0x7F]) + body  # fmt: skip


def _esds(asc: bytes) -> bytes:
    decoder = _descriptor(4, bytes([0x40, 0x15]) + bytes(3) + struct.pack(">II", 0, 0) + _descriptor(5, asc))
    es = _descriptor(3, struct.pack(">HB", AUDIO_TRACK, 0) + decoder + _descriptor(6, b"\x02"))
    return full_box(b"esds", 0, 0, es)


# --- fragments ----------------------------------------------------------------------------------------------


@dataclass
class TrackRun:
    """One track's samples of a fragment: decode time of the first, then per sample its fields and bytes."""

    track: int
    decode_time: int
    durations: list[int] = field(default_factory=list)
    sizes: list[int] = field(default_factory=list)
    flags: list[int] = field(default_factory=list)
    offsets: list[int] = field(default_factory=list)  # composition time offsets
    data: list[bytes] = field(default_factory=list)

    def add(self, payload: bytes, duration: int, flags: int, offset: int) -> None:
        self.durations.append(duration)
        self.sizes.append(len(payload))
        self.flags.append(flags)
        self.offsets.append(offset)
        self.data.append(payload)

    @property
    def duration(self) -> int:
        return sum(self.durations)


def fragment(sequence: int, runs: list[TrackRun]) -> bytes:
    """moof + mdat: one traf per non-empty track run, their samples in the mdat in the same order."""
    runs = [run for run in runs if run.sizes]
    trun_sizes = [12 + 8 + 16 * len(run.sizes) for run in runs]  # full box + count/offset + 4 fields a sample
    traf_sizes = [8 + 16 + 20 + size for size in trun_sizes]  # box + tfhd + tfdt(v1) + trun
    moof_size = 8 + 16 + sum(traf_sizes)
    offset = moof_size + 8  # the first sample byte, counted from the moof's first byte
    trafs = []
    for run in runs:
        tfhd = full_box(b"tfhd", 0, 0x020000, struct.pack(">I", run.track))  # default-base-is-moof
        tfdt = full_box(b"tfdt", 1, 0, struct.pack(">Q", run.decode_time))
        count = len(run.sizes)
        fields = [value for sample in zip(run.durations, run.sizes, run.flags, run.offsets, strict=True)
                  for value in sample]  # fmt: skip
        samples = struct.pack(">" + "IIIi" * count, *fields)  # duration, size, flags, signed offset (v1)
        trun = full_box(b"trun", 1, 0x000F01, struct.pack(">Ii", count, offset), samples)
        trafs.append(box(b"traf", tfhd, tfdt, trun))
        offset += sum(run.sizes)
    moof = box(b"moof", full_box(b"mfhd", 0, 0, struct.pack(">I", sequence)), *trafs)
    payload = b"".join(part for run in runs for part in run.data)
    return moof + struct.pack(">I", 8 + len(payload)) + b"mdat" + payload


# --- segmenting an FLV stream -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Segment:
    """A finished media segment: its number in the run, its bytes (moof + mdat) and its length in seconds."""

    n: int
    data: bytes
    duration: float


@dataclass
class _Video:
    dts: int
    data: bytes
    key: bool
    cts: int


class CmafSegmenter:
    """Turns an FLV tag stream (H.264 + optional AAC) into an init segment and segments cut at keyframes.

    A segment is closed at the first keyframe at or past the next multiple of ``target`` seconds from the
    run's first keyframe, as ffmpeg's HLS muxer does, so segment lengths average ``target`` and each starts
    with a sync sample. Video keeps the FLV millisecond timeline; audio is counted in samples (1024 a frame)
    and only re-synced to the FLV timestamps when they jump, so its decode times have no rounding jitter.
    """

    def __init__(self, target: float, on_init: Callable[[bytes], None], on_segment: Callable[[Segment], None]) -> None:
        self.target_ms = round(target * 1000)
        self.video: VideoConfig | None = None
        self.audio: AudioConfig | None = None
        self._on_init, self._on_segment = on_init, on_segment
        self._started = False
        self._first = 0  # dts of the run's first keyframe
        self._n = 0
        self._pending: _Video | None = None
        self._video_run = TrackRun(VIDEO_TRACK, 0)
        self._audio_run: TrackRun | None = None
        self._audio_time: int | None = None
        self._last_duration = 40

    @property
    def started(self) -> bool:
        return self._started

    def video_tag(self, timestamp: int, payload: bytes) -> None:
        """One FLV video tag body (E.4.3.1): the codec must be AVC."""
        if len(payload) < 5:
            return
        if payload[0] & 0x0F != FLV_AVC or payload[0] & 0x80:
            raise UnsupportedMedia("the pushed video is not H.264 (the in-process remuxer only re-wraps H.264)")
        kind = payload[1]
        if kind == 0:
            self._video_config(parse_avcc(payload[5:]))
        elif kind == 1 and self.video is not None:
            cts = int.from_bytes(payload[2:5], "big", signed=True)
            self._video_sample(_Video(timestamp, payload[5:], payload[0] >> 4 == 1, cts))

    def audio_tag(self, timestamp: int, payload: bytes) -> None:
        """One FLV audio tag body (E.4.2.1): the codec must be AAC."""
        if len(payload) < 2:
            return
        if payload[0] >> 4 != FLV_AAC:
            raise UnsupportedMedia("the pushed audio is not AAC (the in-process remuxer only re-wraps AAC)")
        if payload[1] == 0:
            config = parse_asc(payload[2:])
            if self._started and self.audio is not None and config != self.audio:
                raise UnsupportedMedia("the audio configuration changed mid-stream")
            if not self._started:
                self.audio = config
        elif self._started and self._audio_run is not None and self.audio is not None:
            self._audio_sample(timestamp, payload[2:])

    def flush(self) -> None:
        """The stream ended: publish what is buffered as a last (shorter) segment."""
        if self._pending is not None:
            self._add_pending(self._last_duration)
            self._cut()

    def _video_config(self, config: VideoConfig) -> None:
        if self._started and self.video is not None and config != self.video:
            raise UnsupportedMedia("the video configuration changed mid-stream")
        self.video = config

    def _video_sample(self, sample: _Video) -> None:
        if not self._started:
            if not sample.key:
                return  # a run starts at a keyframe
            self._start(sample.dts)
        pending = self._pending
        if pending is not None:
            self._add_pending(max(0, sample.dts - pending.dts))
            due = self._first + (self._n + 1) * self.target_ms
            if sample.key and sample.dts >= due - 1:
                self._cut()
                self._video_run = TrackRun(VIDEO_TRACK, sample.dts)
        self._pending = sample

    def _start(self, dts: int) -> None:
        assert self.video is not None
        self._started, self._first = True, dts
        self._video_run = TrackRun(VIDEO_TRACK, dts)
        if self.audio is not None:
            self._audio_run = TrackRun(AUDIO_TRACK, 0)
        self._on_init(init_segment(self.video, self.audio))

    def _add_pending(self, duration: int) -> None:
        pending = self._pending
        assert pending is not None
        self._last_duration = duration or self._last_duration
        self._video_run.add(pending.data, duration, SYNC if pending.key else NON_SYNC, pending.cts)
        self._pending = None

    def _audio_sample(self, timestamp: int, data: bytes) -> None:
        assert self.audio is not None
        assert self._audio_run is not None
        rate = self.audio.rate
        exact = timestamp * rate // 1000
        if self._audio_time is None or abs(exact - self._audio_time) > rate // 10:
            self._audio_time = exact  # the first frame, or the encoder's clock jumped
        run = self._audio_run
        if not run.sizes:
            run.decode_time = self._audio_time
        run.add(data, AAC_FRAME, SYNC, 0)
        self._audio_time += AAC_FRAME

    def _cut(self) -> None:
        video = self._video_run
        if not video.sizes:
            return
        runs = [video] + ([self._audio_run] if self._audio_run is not None else [])
        data = fragment(self._n + 1, runs)
        segment = Segment(self._n, data, video.duration / VIDEO_TIMESCALE)
        self._n += 1
        if self._audio_run is not None:
            self._audio_run = TrackRun(AUDIO_TRACK, self._audio_time or 0)
        self._on_segment(segment)
