"""The relational schema. Every change here comes with an Alembic migration in ``migrations/versions``."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite drops the zone; put it back)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is not None and value.tzinfo is not None:
            value = value.astimezone(dt.UTC)
        return value

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return value


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {dt.datetime: UTCDateTime(), dict[str, Any]: JSON, list[Any]: JSON}


class User(Base):
    """A person who signs in: an admin or a subscriber."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20), default="subscriber")
    display_name: Mapped[str] = mapped_column(String(200), default="")
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime]


class AuthToken(Base):
    """A login: a browser's cookie session or an API bearer token. Only the token's hash is stored."""

    __tablename__ = "auth_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(10))  # "cookie" or "bearer"
    created_at: Mapped[dt.datetime]
    expires_at: Mapped[dt.datetime]
    user_agent: Mapped[str] = mapped_column(String(400), default="")

    user: Mapped[User] = relationship(lazy="joined")


class Genre(Base):
    __tablename__ = "genres"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)


class TitleGenre(Base):
    __tablename__ = "title_genres"

    title_id: Mapped[int] = mapped_column(ForeignKey("titles.id", ondelete="CASCADE"), primary_key=True)
    genre_id: Mapped[int] = mapped_column(ForeignKey("genres.id", ondelete="CASCADE"), primary_key=True)


class Title(Base):
    """A film, a series, or an episode of a series (``parent_id`` points at the series)."""

    __tablename__ = "titles"
    __table_args__ = (Index("ix_titles_parent_order", "parent_id", "season", "episode"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10), default="film")  # film | series | episode
    name: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    year: Mapped[int | None] = mapped_column(Integer)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("titles.id", ondelete="CASCADE"))
    season: Mapped[int | None] = mapped_column(Integer)
    episode: Mapped[int | None] = mapped_column(Integer)
    duration: Mapped[float | None] = mapped_column(Float)  # seconds; None for a series
    media_path: Mapped[str | None] = mapped_column(String(200))  # folder under the media dir
    poster: Mapped[str | None] = mapped_column(String(200))  # file under media_path
    thumbnails: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # sprite geometry
    watermark: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]
    # Rights (accounts/rights.py): the licence window, and the territories (ISO codes, space separated; "" = all)
    available_from: Mapped[dt.datetime | None]
    available_until: Mapped[dt.datetime | None]
    territories: Mapped[str] = mapped_column(String(1000), default="", server_default="")

    genres: Mapped[list[Genre]] = relationship(secondary="title_genres", lazy="selectin", order_by=Genre.name)
    renditions: Mapped[list[Rendition]] = relationship(
        lazy="selectin", cascade="all, delete-orphan", order_by="Rendition.position"
    )


class Rendition(Base):
    """One media playlist of a title: a video rung, an audio language or a subtitle track."""

    __tablename__ = "renditions"

    id: Mapped[int] = mapped_column(primary_key=True)
    title_id: Mapped[int] = mapped_column(ForeignKey("titles.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    kind: Mapped[str] = mapped_column(String(10))  # video | audio | subtitles
    name: Mapped[str] = mapped_column(String(40))  # folder name, e.g. "720p", "audio-eng", "subs-fra"
    playlist: Mapped[str] = mapped_column(String(200))  # path relative to the title's media folder
    codecs: Mapped[str] = mapped_column(String(80), default="")
    bandwidth: Mapped[int] = mapped_column(Integer, default=0)  # peak bits/s
    average_bandwidth: Mapped[int] = mapped_column(Integer, default=0)
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    frame_rate: Mapped[float | None] = mapped_column(Float)
    language: Mapped[str | None] = mapped_column(String(16))
    label: Mapped[str] = mapped_column(String(80), default="")
    channels: Mapped[int | None] = mapped_column(Integer)
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)


class IngestJob(Base):
    """Turning one file into a published title; survives restarts so progress and failures stay visible."""

    __tablename__ = "ingest_jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(Text)  # absolute path of the input file
    name: Mapped[str] = mapped_column(String(300))  # the title to create
    options: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    state: Mapped[str] = mapped_column(String(20), default="queued", index=True)
    # queued | probing | encoding | publishing | done | failed | interrupted
    progress: Mapped[float] = mapped_column(Float, default=0.0)  # 0..1
    message: Mapped[str] = mapped_column(Text, default="")
    title_id: Mapped[int | None] = mapped_column(ForeignKey("titles.id", ondelete="SET NULL"))
    owner: Mapped[str] = mapped_column(String(120), default="")  # host:pid running it
    created_at: Mapped[dt.datetime]
    started_at: Mapped[dt.datetime | None]
    finished_at: Mapped[dt.datetime | None]


class PlaybackSession(Base):
    """One viewer watching one thing; its id is inside every signed URL the viewer gets."""

    __tablename__ = "playback_sessions"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    title_id: Mapped[int | None] = mapped_column(ForeignKey("titles.id", ondelete="CASCADE"))
    channel: Mapped[str | None] = mapped_column(String(80))
    client_ip: Mapped[str] = mapped_column(String(64), default="")
    # How replays from another client are met (delivery/binding.py), fixed from the plan at start.
    client_binding: Mapped[str] = mapped_column(String(8), default="none", server_default="none")
    client_asn: Mapped[int | None] = mapped_column(BigInteger)  # starting network, "asn" binding
    user_agent: Mapped[str] = mapped_column(String(400), default="")
    created_at: Mapped[dt.datetime]
    expires_at: Mapped[dt.datetime]
    ended_at: Mapped[dt.datetime | None]


class WatchProgress(Base):
    """Where a subscriber stopped in a title, for "resume" and "continue watching"."""

    __tablename__ = "watch_progress"
    __table_args__ = (UniqueConstraint("user_id", "title_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    title_id: Mapped[int] = mapped_column(ForeignKey("titles.id", ondelete="CASCADE"))
    position: Mapped[float] = mapped_column(Float)
    duration: Mapped[float] = mapped_column(Float, default=0.0)
    updated_at: Mapped[dt.datetime]
