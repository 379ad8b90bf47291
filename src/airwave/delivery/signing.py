"""The runtime's playback signing keyring, shared by the origin routes and the edge configuration."""

from __future__ import annotations

from airwave.delivery.tokens import Keyring, token_root
from airwave.runtime import Runtime


def keyring_for(runtime: Runtime) -> Keyring:
    """The rotating keyring every origin and edge of this deployment derives alike."""
    settings = runtime.settings
    return Keyring(
        token_root(runtime.secret),
        rotation_seconds=settings.token_key_rotation_hours * 3600,
        lifetime_seconds=settings.playback_ttl_seconds,
        mark_bits=settings.watermark_code_bits,
        bind_clients=settings.bind_session_ip,
    )


def key_periods(runtime: Runtime) -> int:
    """How many past key periods can still hold unexpired tokens (what edges accept)."""
    settings = runtime.settings
    return int(settings.playback_ttl_seconds // (settings.token_key_rotation_hours * 3600)) + 1
