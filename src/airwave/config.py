"""One typed settings object: defaults, then a TOML config file, then ``AIRWAVE_*`` environment variables.

The object is built once at the edge (the CLI or the ASGI factory) and passed explicitly to everything that
needs it; nothing else reads the environment. ``docs/settings.md`` is generated from the field help below
(``airwave settings --markdown``) and a test keeps it in step.
"""

from __future__ import annotations

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
    upload_max_mb: int = Field(50_000, ge=1, description="Largest file the admin upload form accepts, in MB.")
    session_days: int = Field(30, ge=1, description="How long a web login (cookie session) lasts.")
    api_token_days: int = Field(90, ge=1, description="How long an API bearer token lasts.")
    playback_ttl_seconds: int = Field(6 * 3600, ge=60, description="Lifetime of a playback session's signed URLs.")
    cookie_secure: bool = Field(False, description="Mark session cookies `Secure` (set when served over HTTPS).")
    log_level: str = Field("info", description="Log level: debug, info, warning or error.")

    @field_validator("ladder", mode="before")
    @classmethod
    def _split_ladder(cls, value: Any) -> Any:
        if isinstance(value, str):
            return tuple(int(part) for part in value.replace(" ", "").split(",") if part)
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
