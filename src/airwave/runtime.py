"""The long-lived parts every entry point shares: settings, database, clock, signing secret."""

from __future__ import annotations

from dataclasses import dataclass, field

from airwave.clock import Clock, SystemClock
from airwave.config import Settings, ensure_secret
from airwave.errors import ConfigError
from airwave.store.engine import Database, migrate


@dataclass
class Runtime:
    """What the CLI and the web app are built on. Open with :func:`open_runtime`, end with ``close()``."""

    settings: Settings
    db: Database
    secret: str
    clock: Clock = field(default_factory=SystemClock)

    def close(self) -> None:
        self.db.close()


def open_runtime(settings: Settings, clock: Clock | None = None) -> Runtime:
    """Create the data folders, bring the schema up to date and return the runtime.

    Raises:
        ConfigError: the data directory cannot be created or written.
    """
    try:
        for folder in (settings.data, settings.media_dir, settings.staging_dir, settings.uploads_dir):
            folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(
            f"cannot use data directory {settings.data}: {exc.strerror}; choose another with --data"
        ) from None
    db = Database(settings.db_url)
    migrate(db.engine)
    return Runtime(settings=settings, db=db, secret=ensure_secret(settings), clock=clock or SystemClock())
