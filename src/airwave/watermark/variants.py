"""Which variant a session receives for a segment: ``code[N mod L]``. Pure."""

from __future__ import annotations

from airwave.watermark.codes import code_bit

VARIANT_NAMES = ("a", "b")


def variant_for(code: bytes, bits: int, number: int) -> str:
    """The variant folder ("a" or "b") of segment ``number`` for a session holding ``code`` of ``bits`` bits."""
    return VARIANT_NAMES[code_bit(code, bits, number)]
