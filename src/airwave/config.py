"""One typed settings object: defaults, then a TOML config file, then ``AIRWAVE_*`` environment variables.

The object is built once at the edge (the CLI or the ASGI factory) and passed explicitly to everything that
needs it; nothing else reads the environment. ``docs/settings.md`` is generated from the field help below
(``airwave settings --markdown``) and a test keeps it in step.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
import tomllib
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, PydanticBaseSettingsSource, SettingsConfigDict

from airwave.errors import ConfigError

ENV_PREFIX = "AIRWAVE_"


class Settings(BaseSettings):
    """Everything an operator can configure."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="forbid", frozen=True)

    config_file: Path | None = Field(
        None,
        description="A TOML file of settings (keys are the names below, lower case). Environment variables "
        "override it. Default: `airwave.toml` in the data directory when that file exists.",
    )
    data: Path = Field(
        Path("var"),
        description="Data directory: database (SQLite), media, uploads, logs and the generated secret key.",
    )
    host: str = Field("127.0.0.1", description="Address the HTTP server listens on.")
    port: int = Field(8080, ge=1, le=65535, description="Port the HTTP server listens on.")
    public_url: str | None = Field(
        None,
        description="Base URL subscribers reach the service at (e.g. `https://tv.example.com`), used in "
        "links handed to IPTV apps. Default: taken from each request.",
    )
    workers: int = Field(1, ge=1, le=64, description="HTTP worker processes (scale mode runs one per core).")
    database_url: str | None = Field(
        None,
        description="SQLAlchemy database URL. Default: SQLite at `<data>/airwave.db`. For PostgreSQL: "
        "`postgresql+psycopg://user@host:5432/dbname`.",
    )
    secret_key: str | None = Field(
        None,
        description="Secret for signing cookies, CSRF and playback tokens. Default: generated once and kept in "
        "`<data>/secret.key`. Set the same value on every origin in scale mode.",
    )
    ffmpeg: str | None = Field(
        None, description="Path to the ffmpeg binary. Default: the one shipped with the imageio-ffmpeg wheel."
    )
    ladder: Annotated[tuple[int, ...], NoDecode] = Field(
        (1080, 720, 480, 360),
        description="Video heights of the VOD ABR ladder (comma separated in the environment); renditions "
        "taller than the source are skipped.",
    )
    x264_preset: str = Field("veryfast", description="x264 preset for VOD ingest (ultrafast ... veryslow).")
    segment_seconds: float = Field(4.0, gt=0.5, le=12, description="VOD segment (and keyframe) duration.")
    encode_threads: int = Field(0, ge=0, description="ffmpeg threads for ingest; 0 lets ffmpeg choose.")
    watermark_strength: float = Field(
        0.4,
        gt=0,
        le=4,
        description="Forensic watermark strength: RMS of the A/B luma mark in 8-bit levels (0.4 is about "
        "56 dB PSNR before encoding, 51 dB after on flat scenes). Higher survives harsher attacks; lower is "
        "less visible.",
    )
    watermark_code_bits: int = Field(
        4096,
        ge=64,
        le=65535,
        description="Length of each playback session's random watermark code; segment N carries bit N mod "
        "length (ETSI TS 104 002 allows up to 65535).",
    )
    trace_false_accusation: float = Field(
        1e-6,
        gt=0,
        lt=0.5,
        description="`airwave trace` names a session only when the probability that it accuses an innocent "
        "one is at most this (over all candidate sessions).",
    )
    upload_max_mb: int = Field(50_000, ge=1, description="Largest file the admin upload form accepts, in MB.")
    session_days: int = Field(30, ge=1, description="How long a web login (cookie session) lasts.")
    api_token_days: int = Field(90, ge=1, description="How long an API bearer token lasts.")
    playback_ttl_seconds: int = Field(6 * 3600, ge=60, description="Lifetime of a playback session's signed URLs.")
    token_key_rotation_hours: float = Field(
        24.0,
        gt=0,
        description="Playback URL signing keys change this often; new sessions are signed with the newest key, "
        "URLs signed with an older one keep working until they expire.",
    )
    redis_url: str | None = Field(
        None,
        description="Redis for scale mode (e.g. `redis://127.0.0.1:6379/0`): stream leases shared by every "
        "origin process. Default: leases kept in the database (embedded mode). If Redis is unreachable, "
        "playback is allowed and the failure logged (fail open); Redis is asked again 5 s later.",
    )
    redis_key_prefix: str = Field("airwave:", description="Prefix of every Redis key Airwave writes.")
    max_streams: int = Field(
        2, ge=1, description="Concurrent streams per account when the account's plan does not set a limit."
    )
    lease_seconds: int = Field(
        30,
        ge=3,
        description="A stream lease lapses after this many seconds without a playlist, key or heartbeat request "
        "(about three target durations); its slot is then free for another device.",
    )
    session_starts_per_minute: int = Field(
        20, ge=1, description="Playback sessions one account may start per minute; more get 429."
    )
    bind_session_ip: bool = Field(
        False,
        description="Bind every session to the address that started it (operator-wide): refuse playlists and "
        "keys to another address, and edges refuse its segments. Off: each plan's `client_binding` decides "
        "(none: replays are only logged; ip; asn).",
    )
    vod_encryption: bool = Field(
        True, description="Encrypt on-demand segments with HLS AES-128; keys go only to live, entitled sessions."
    )
    live_encryption: bool = Field(
        True, description="Encrypt live channel segments with HLS AES-128; keys go only to live, entitled sessions."
    )
    key_rotation_minutes: float = Field(
        1.0,
        gt=0,
        description="Content keys change every this many minutes of media (on demand) or of wall-clock time "
        "(live); each change makes the player fetch a key, which also renews its stream lease.",
    )
    regions: Annotated[tuple[str, ...], NoDecode] = Field(
        (),
        description="Client networks per edge region, as `CIDR=region` (comma separated in the environment), "
        "e.g. `10.1.0.0/16=eu,10.2.0.0/16=us`. Clients outside every network are in region `default`. "
        "List the edges in `trusted_proxies` so their `X-Forwarded-For` names the client.",
    )
    edge_check_seconds: float = Field(
        2.0, gt=0, description="How often the origin checks each registered edge; a failed check takes it out."
    )
    cookie_secure: bool = Field(False, description="Mark session cookies `Secure` (set when served over HTTPS).")
    log_level: str = Field("info", description="Log level: debug, info, warning or error.")
    billing_grace_days: int = Field(
        7, ge=0, le=90, description="Days a past-due subscriber keeps watching before the subscription expires."
    )
    billing_check_seconds: float = Field(
        60, gt=0, description="How often the billing scheduler applies renewals, trial ends and expiries."
    )
    stripe_secret_key: str | None = Field(
        None, description="Stripe secret API key (`sk_...`): enables card payments through Stripe Checkout."
    )
    stripe_webhook_secret: str | None = Field(
        None,
        description="Signing secret (`whsec_...`) of the Stripe webhook endpoint "
        "`/api/v1/billing/stripe/webhook`; events with a bad signature are refused.",
    )
    live_supervisor: bool = Field(
        True,
        description="Run the live channel supervisor (every channel's ffmpeg, the RTMP ingest) in the server. "
        "With several workers one of them runs it, chosen by a lock file under `<data>/live/`.",
    )
    live_segment_seconds: float = Field(
        2.0, gt=0.5, le=10, description="Live segment duration (passthrough cuts at the source's keyframes)."
    )
    live_window_segments: int = Field(
        8, ge=3, le=100, description="Segments in a live media playlist (the rolling live window)."
    )
    live_dvr_hours: float = Field(
        4.0, ge=0, le=24 * 30, description="Default DVR depth of a new channel, in hours (per-channel setting)."
    )
    live_retention_grace_seconds: float = Field(
        600.0,
        ge=0,
        description="A segment that left a channel's DVR window stays on disk this long, so playlists already "
        "handed out (catch-up, start-over) can still fetch it.",
    )
    live_ladder: Annotated[tuple[int, ...], NoDecode] = Field(
        (720, 480, 360), description="Video heights of a live channel's ABR ladder (ladder mode, comma separated)."
    )
    live_x264_preset: str = Field("veryfast", description="x264 preset of live ladders and slates.")
    live_hot_backup: bool = Field(
        True,
        description="Keep a channel's backup source running while the primary is healthy, so a failover takes "
        "at most one segment; off: the backup starts only when the primary stalls.",
    )
    live_restart_max_seconds: float = Field(
        30.0, ge=1, description="Longest wait between restarts of a failing source (exponential backoff)."
    )
    ingest_host: str = Field("0.0.0.0", description="Address the RTMP and SRT push ingest listens on.")
    rtmp_port: int = Field(1935, ge=1, le=65535, description="The one RTMP port every pushed channel uses.")
    srt_port_base: int = Field(
        9000, ge=1024, le=65000, description="First UDP port given to SRT push channels (one port per channel)."
    )
    signup_open: bool = Field(True, description="Let visitors create their own subscriber accounts at `/signup`.")
    login_max_failures: int = Field(
        5, ge=1, description="Failed sign-ins for one account, within `login_window_minutes`, before it is locked."
    )
    login_max_failures_ip: int = Field(
        30, ge=1, description="Failed sign-ins from one IP address, within `login_window_minutes`, before it is locked."
    )
    login_window_minutes: int = Field(
        15, ge=1, description="The sliding window for counting failed sign-ins (and so the longest lockout)."
    )
    reset_link_minutes: int = Field(60, ge=5, description="How long a password reset link stays valid.")
    smtp_host: str | None = Field(
        None,
        description="Mail server for password reset links. Unset: subscribers ask support, and admins hand the "
        "link over from the subscriber's admin page.",
    )
    smtp_port: int = Field(587, ge=1, le=65535, description="Mail server port.")
    smtp_user: str | None = Field(None, description="Mail server user name (unset: no authentication).")
    smtp_password: str | None = Field(None, description="Mail server password.")
    smtp_starttls: bool = Field(True, description="Upgrade the mail connection with STARTTLS.")
    smtp_from: str = Field("Airwave <no-reply@localhost>", description="Sender address of the mails Airwave sends.")
    geoip_csv: Path | None = Field(
        None,
        description="CSV mapping networks to countries (`192.0.2.0/24,GB` per line) for licence territories.",
    )
    geoip_mmdb: Path | None = Field(
        None, description="MaxMind-format database (GeoIP2/GeoLite2 Country or City `.mmdb`) for territories."
    )
    geoip_asn_mmdb: Path | None = Field(
        None,
        description="MaxMind-format ASN database (GeoLite2-ASN layout `.mmdb`) for plans whose `client_binding` "
        "is `asn`: a session stays playable from any address of the network that started it. Without it, "
        "ASN-bound sessions are held to their starting address.",
    )
    trusted_proxies: Annotated[tuple[str, ...], NoDecode] = Field(
        (),
        description="Networks of reverse proxies whose `X-Forwarded-For` is believed (comma separated CIDRs, "
        "e.g. `127.0.0.1/32,10.0.0.0/8`). Default: none, the peer address is the client.",
    )

    @field_validator("ladder", "live_ladder", mode="before")
    @classmethod
    def _split_ladder(cls, value: Any) -> Any:
        if isinstance(value, str):
            return tuple(int(part) for part in value.replace(" ", "").split(",") if part)
        return value

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _split_proxies(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = tuple(part.strip() for part in value.split(",") if part.strip())
        for network in value:
            ipaddress.ip_network(network, strict=False)  # ValueError names the bad entry
        return value

    @field_validator("regions", mode="before")
    @classmethod
    def _split_list(cls, value: Any) -> Any:
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value

    @field_validator("log_level")
    @classmethod
    def _check_level(cls, value: str) -> str:
        if value.lower() not in {"debug", "info", "warning", "error"}:
            raise ValueError("must be one of debug, info, warning, error")
        return value.lower()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Explicit arguments (the CLI flags) win over the environment, which wins over the file.
        return (init_settings, env_settings)

    @property
    def db_url(self) -> str:
        """The database URL in force."""
        return self.database_url or f"sqlite:///{(self.data / 'airwave.db').resolve()}"

    @property
    def media_dir(self) -> Path:
        """Published media, one folder per title."""
        return self.data / "media"

    @property
    def staging_dir(self) -> Path:
        """Work in progress; never served."""
        return self.data / "staging"

    @property
    def uploads_dir(self) -> Path:
        """Files received by the admin upload form, waiting for ingest."""
        return self.data / "uploads"


def load_settings(**overrides: Any) -> Settings:
    """Build the settings: defaults, then the config file, then the environment, then ``overrides``.

    Raises:
        ConfigError: a value is invalid or the config file cannot be read; the message names it.
    """
    overrides = {key: value for key, value in overrides.items() if value is not None}
    file_values = _read_config_file(overrides)
    try:
        settings = Settings(**{**_without_env(file_values), **overrides})
    except ValidationError as exc:
        raise ConfigError(_describe(exc)) from None
    return settings


def ensure_secret(settings: Settings) -> str:
    """Return the signing secret, creating ``<data>/secret.key`` on first use."""
    if settings.secret_key:
        return settings.secret_key
    path = settings.data / "secret.key"
    if path.exists():
        return path.read_text().strip()
    settings.data.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key + "\n")
    return key


def settings_markdown() -> str:
    """Render ``docs/settings.md`` from the field definitions."""
    lines = [
        "# Settings",
        "",
        "Airwave reads its settings from, in rising priority: the defaults below, a TOML config file",
        "(`--config`, `AIRWAVE_CONFIG_FILE`, or `airwave.toml` in the data directory), `AIRWAVE_*` environment",
        "variables, and command-line flags. This page is generated by `airwave settings --markdown`;",
        "a test keeps it complete.",
        "",
        "| Setting | Environment | Default | Meaning |",
        "|---|---|---|---|",
    ]
    for name, field in Settings.model_fields.items():
        default = field.default
        if isinstance(default, tuple):
            default = ",".join(str(item) for item in default)
        shown = "" if default is None else f"`{default}`"
        lines.append(f"| `{name}` | `{ENV_PREFIX}{name.upper()}` | {shown} | {field.description} |")
    return "\n".join(lines) + "\n"


def _without_env(file_values: dict[str, Any]) -> dict[str, Any]:
    # File values travel as init arguments, which pydantic-settings ranks above the environment; drop the
    # ones the environment sets so the environment wins, as documented.
    return {key: value for key, value in file_values.items() if f"{ENV_PREFIX}{key.upper()}" not in os.environ}


def _read_config_file(overrides: dict[str, Any]) -> dict[str, Any]:
    path = overrides.get("config_file") or os.environ.get(f"{ENV_PREFIX}CONFIG_FILE")
    if path is None:
        data = Path(overrides.get("data") or os.environ.get(f"{ENV_PREFIX}DATA") or "var")
        candidate = data / "airwave.toml"
        if not candidate.exists():
            return {}
        path = candidate
    try:
        with open(path, "rb") as handle:
            return dict(tomllib.load(handle))
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}") from None


def _describe(exc: ValidationError) -> str:
    problems = []
    for error in exc.errors():
        name = ".".join(str(part) for part in error["loc"]) or "settings"
        problems.append(f"{ENV_PREFIX}{name.upper()} ({name}): {error['msg']}")
    return "invalid settings: " + "; ".join(problems)
