"""Request and response bodies of the JSON API, so ``/openapi.json`` describes it exactly."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LoginIn(Model):
    email: str = Field(description="The account's email address.", examples=["viewer@example.com"])
    password: str = Field(description="The account's password.")


class UserOut(Model):
    id: int
    email: str
    display_name: str
    role: Literal["admin", "support", "subscriber"]
    created_at: dt.datetime


class LoginOut(Model):
    token: str = Field(description="Send as `Authorization: Bearer <token>`.")
    expires_at: dt.datetime
    user: UserOut


class IptvLinks(Model):
    playlist_url: str
    epg_url: str


class MeOut(UserOut):
    iptv: IptvLinks | None = Field(None, description="Personal IPTV links (not available yet).")


class RenditionOut(Model):
    kind: Literal["video", "audio", "subtitles"]
    name: str
    codecs: str
    bandwidth: int
    average_bandwidth: int
    width: int | None
    height: int | None
    frame_rate: float | None
    language: str | None
    label: str
    channels: int | None
    is_default: bool


class ThumbnailsOut(Model):
    sprite_url: str = Field(description="The sprite image of all thumbnails.")
    vtt_url: str = Field(description='WebVTT track mapping times to sprite regions ("#xywh=").')
    interval: float
    width: int
    height: int
    columns: int
    count: int


class TitleOut(Model):
    id: int
    kind: Literal["film", "series", "episode"]
    name: str
    description: str
    year: int | None
    genres: list[str]
    duration: float | None = Field(description="Seconds; null for a series or before ingest.")
    poster_url: str | None
    parent_id: int | None = Field(description="For an episode: its series.")
    season: int | None
    episode: int | None
    playable: bool = Field(description="Has published media: POST /api/v1/playback can start it.")
    created_at: dt.datetime
    updated_at: dt.datetime


class SeasonOut(Model):
    season: int = Field(description="Season number; 0 for episodes without one.")
    episodes: list[TitleOut]


class TitleDetail(TitleOut):
    renditions: list[RenditionOut]
    thumbnails: ThumbnailsOut | None
    seasons: list[SeasonOut] = Field(description="For a series: its episodes grouped by season, in order.")


class TitleList(Model):
    items: list[TitleOut]
    limit: int
    offset: int


class TitleCreate(Model):
    name: str = Field(min_length=1, max_length=300)
    kind: Literal["film", "series", "episode"] = "series"
    description: str = ""
    year: int | None = Field(None, ge=1870, le=2200)
    genres: list[str] = Field(default_factory=list)
    parent_id: int | None = Field(None, description="For an episode: the series' id.")
    season: int | None = Field(None, ge=0)
    episode: int | None = Field(None, ge=0)


class TitleUpdate(Model):
    name: str | None = Field(None, min_length=1, max_length=300)
    description: str | None = None
    year: int | None = Field(None, ge=1870, le=2200)
    genres: list[str] | None = None
    season: int | None = Field(None, ge=0)
    episode: int | None = Field(None, ge=0)


class JobOut(Model):
    id: int
    name: str
    source: str
    state: Literal["queued", "probing", "encoding", "publishing", "done", "failed", "interrupted"]
    progress: float = Field(ge=0, le=1)
    message: str
    title_id: int | None
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None


class PlaybackIn(Model):
    title: int | None = Field(None, description="Id of a film or an episode.")
    channel: str | None = Field(None, description="Slug of a channel: its live stream (or see below).")
    programme: int | None = Field(None, description="With `channel`: catch-up of this past programme.")
    start_over: bool = Field(False, description="With `channel`: the current programme from its start.")

    @model_validator(mode="after")
    def _one_thing(self) -> PlaybackIn:
        if (self.title is None) == (self.channel is None):
            raise ValueError("give either a title or a channel")
        return self


class PlaybackOut(Model):
    session_id: str
    url: str = Field(description="The master playlist; every URL under it carries the session's signed token.")
    expires_at: dt.datetime
    resume_from: float = Field(description="Seconds to start from (the saved progress), 0 from the top.")


class ProgressIn(Model):
    position: float = Field(ge=0, description="Seconds watched into the title.")
    duration: float = Field(0, ge=0, description="The title's length in seconds as the player knows it.")


class ProgressOut(Model):
    title_id: int
    position: float
    duration: float
    updated_at: dt.datetime | None
    resume_from: float


class ErrorBody(Model):
    code: str
    message: str


class ErrorOut(Model):
    error: ErrorBody
