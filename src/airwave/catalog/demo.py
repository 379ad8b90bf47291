"""The demo catalogue: a few synthetic films and a series, made with ffmpeg and ingested like real files."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from airwave.accounts.users import create_user
from airwave.billing.demo import seed_demo_billing
from airwave.catalog import ingest, jobs
from airwave.catalog.demo_channels import seed_demo_channels
from airwave.media.ffmpeg import find_ffmpeg
from airwave.media.synthetic import Clip, render_clip
from airwave.runtime import Runtime
from airwave.store.tables import Title, User

ADMIN = ("admin@airwave.local", "airwave-admin")
SUBSCRIBER = ("viewer@airwave.local", "airwave-viewer")


@dataclass(frozen=True)
class DemoTitle:
    clip: Clip
    options: dict[str, Any]


def _film(name: str, colors: tuple[str, str], year: int, genres: list[str], description: str, **clip: Any) -> DemoTitle:
    return DemoTitle(
        Clip(name, seconds=clip.pop("seconds", 20), colors=colors, subtitle=clip.pop("tagline", ""), **clip),
        {"description": description, "year": year, "genres": genres},
    )


def _episode(season: int, episode: int, name: str, colors: tuple[str, str]) -> DemoTitle:
    return DemoTitle(
        Clip(name, seconds=12, colors=colors, subtitle=f"Signal Hill · Season {season} · Episode {episode}"),
        {
            "series": "Signal Hill",
            "season": season,
            "episode": episode,
            "description": f"Episode {episode} of season {season} of the demo series.",
            "year": 2025 + season,
            "genres": ["Drama"],
        },
    )


CATALOGUE = [
    _film(
        "Northern Lights",
        ("0x0b3d2e", "0x7be0ad"),
        2024,
        ["Documentary", "Nature"],
        "A slow journey under the aurora. Two audio languages and two subtitle tracks show off the player's menus.",
        tagline="English and French audio · subtitles",
        languages=("eng", "fra"),
        subtitles=("eng", "fra"),
    ),
    _film(
        "Deep Blue",
        ("0x02111b", "0x3f88c5"),
        2023,
        ["Nature", "Adventure"],
        "Down to where the light runs out.",
        tagline="A demo feature",
    ),
    _film(
        "Night Shift",
        ("0x2b1055", "0xd53369"),
        2025,
        ["Thriller", "Drama"],
        "Twelve hours, one city, and a radio that will not stop talking.",
        tagline="A demo feature",
    ),
    _film(
        "Test Card",
        ("0x232526", "0x757f9a"),
        1967,
        ["Comedy"],
        "The classic, restored: colour bars, a tone, and a clock.",
        tagline="Restored in colour",
        seconds=15,
    ),
    _episode(1, 1, "Pilot", ("0x1d2b64", "0xf8cdda")),
    _episode(1, 2, "The Mast", ("0x1d2b64", "0xf8cdda")),
    _episode(2, 1, "Static", ("0x42275a", "0x734b6d")),
]


Progress = Callable[[float, str], None]


def seed_demo(
    runtime: Runtime,
    progress_for: Callable[[str], AbstractContextManager[Progress]],
    catalogue: list[DemoTitle] = CATALOGUE,
) -> list[str]:
    """Create the demo users, catalogue and channels, skipping what already exists. Returns what was created.

    ``progress_for(name)`` gives a context whose value receives each title's ingest progress.
    """
    created = []
    with runtime.db.session() as session:
        existing_users = set(session.scalars(select(User.email)))
        for (email, password), role in ((ADMIN, "admin"), (SUBSCRIBER, "subscriber")):
            if email not in existing_users:
                create_user(session, runtime.clock, email=email, password=password, role=role)
                created.append(email)
        viewer = session.scalar(select(User).where(User.email == SUBSCRIBER[0]))
        if viewer is not None:
            seed_demo_billing(session, runtime.clock, viewer)
        existing_titles = set(session.scalars(select(Title.name)))
    ffmpeg = find_ffmpeg(runtime.settings)
    sources = runtime.settings.data / "demo-sources"
    for item in catalogue:
        if item.clip.title in existing_titles:
            continue
        source = render_clip(ffmpeg, item.clip, sources / f"{item.clip.title.replace(' ', '-').lower()}.mkv")
        with runtime.db.session() as session:
            job = jobs.submit(
                session,
                runtime.clock,
                source=source,
                name=item.clip.title,
                options={**item.options, "delete_source": True},
                owner=jobs.this_process(),  # run here, not by a server's job runner on the same data
            )
        with progress_for(item.clip.title) as on_progress:
            ingest.run_job(runtime, job.id, on_progress=on_progress)
        created.append(item.clip.title)
    return created + seed_demo_channels(runtime, [item.clip.title for item in catalogue])
