"""Rights: licence windows and territories of titles, channel territories, programme blackouts."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest

from airwave.accounts import rights
from airwave.accounts.rights import Audience, check_channel, check_title, title_status
from airwave.catalog.titles import create_title, list_titles
from airwave.clock import FakeClock
from airwave.errors import BadRequest, NotFound
from airwave.runtime import Runtime
from airwave.store.channels import Channel
from airwave.store.tables import Title

MAY_1 = dt.datetime(2027, 5, 1, tzinfo=dt.UTC)
JUNE_1 = dt.datetime(2027, 6, 1, tzinfo=dt.UTC)


def _title(**values: object) -> Title:
    fields: dict[str, object] = {"name": "Night Train", "available_from": None, "available_until": None}
    fields["territories"] = ""
    return Title(**{**fields, **values})


def test_licence_window() -> None:
    title = _title(available_from=MAY_1, available_until=JUNE_1)
    before = check_title(title, "GB", MAY_1 - dt.timedelta(seconds=1))
    assert not before
    assert before.reason == "Night Train is available from 1 May 2027"
    assert check_title(title, "GB", MAY_1)
    after = check_title(title, "GB", JUNE_1)
    assert not after
    assert after.reason == "Night Train is no longer available (since 1 Jun 2027)"
    assert title_status(title, MAY_1 - dt.timedelta(days=3)) == "licence starts 1 May 2027"
    assert title_status(title, JUNE_1) == "licence ended 1 Jun 2027"
    assert title_status(title, MAY_1) is None


def test_territories() -> None:
    title = _title(territories="GB IE")
    assert check_title(title, "GB", MAY_1)
    assert check_title(title, "ie", MAY_1)
    refused = check_title(title, "FR", MAY_1)
    assert not refused
    assert refused.reason == "Night Train is not available in your country"
    assert not check_title(title, None, MAY_1)  # unknown territory: restricted content is refused
    assert check_title(_title(), None, MAY_1)  # unrestricted content plays anywhere


def test_an_episode_obeys_its_series() -> None:
    series = _title(name="The Line", territories="GB")
    episode = _title(name="Pilot")
    assert not check_title(episode, "FR", MAY_1, parent=series)
    assert check_title(episode, "GB", MAY_1, parent=series)


def test_channel_territories() -> None:
    channel = Channel(slug="sports", name="Sports One", territories="DE AT")
    assert check_channel(channel, "AT", MAY_1)
    assert check_channel(channel, "GB", MAY_1).reason == "Sports One is not available in your country"


@pytest.mark.parametrize(
    ("given", "stored"), [("gb, ie", "GB IE"), (["ie", "GB", "gb"], "GB IE"), ("", ""), ("  ", "")]
)
def test_territories_are_normalised(given: str | list[str], stored: str) -> None:
    assert rights.normalise_territories(given) == stored


@pytest.mark.parametrize("given", ["GBR", "G1", "UK;", "Europe"])
def test_bad_territories_are_refused(given: str) -> None:
    with pytest.raises(BadRequest, match="not a country code"):
        rights.normalise_territories(given)


def test_window_must_end_after_it_starts() -> None:
    with pytest.raises(BadRequest, match="end after it starts"):
        rights.set_title_rights(_title(), available_from=JUNE_1, available_until=MAY_1, territories="")


def test_titles_outside_their_window_vanish_for_subscribers(runtime: Runtime, clock: FakeClock) -> None:
    now = clock.now()
    with runtime.db.session() as session:
        create_title(session, clock, name="Always On")
        later = create_title(session, clock, name="Coming Soon")
        rights.set_title_rights(later, available_from=now + dt.timedelta(days=30), available_until=None, territories="")
        gone = create_title(session, clock, name="Gone Now")
        rights.set_title_rights(gone, available_from=None, available_until=now, territories="")
        local = create_title(session, clock, name="Only In Ireland")
        rights.set_title_rights(local, available_from=None, available_until=None, territories="IE")
    with runtime.db.session() as session:

        def names(audience: Audience | None) -> set[str]:
            return {title.name for title in list_titles(session, audience=audience)}

        assert names(None) == {"Always On", "Coming Soon", "Gone Now", "Only In Ireland"}  # staff see all
        assert names(Audience(now, "IE")) == {"Always On", "Only In Ireland"}
        assert names(Audience(now, "FR")) == {"Always On"}
        assert names(Audience(now, None)) == {"Always On"}
        assert names(Audience(now + dt.timedelta(days=31), "IE")) == {"Always On", "Coming Soon", "Only In Ireland"}
        title = session.get(Title, later.id)
        assert title is not None
        with pytest.raises(NotFound):
            rights.require_visible(title, Audience(now, "IE"))
        assert rights.require_visible(title, None) is title


@dataclass
class Slot:
    start: dt.datetime
    stop: dt.datetime


def test_blackouts(runtime: Runtime, clock: FakeClock) -> None:
    now = clock.now()
    kick_off = now + dt.timedelta(hours=1)
    with runtime.db.session() as session:
        channel = Channel(slug="sports", name="Sports One", created_at=now, updated_at=now)
        session.add(channel)
        session.flush()
        rights.add_blackout(
            session, channel, start=kick_off, stop=kick_off + dt.timedelta(hours=2), territories="gb", note="Derby"
        )
        with pytest.raises(BadRequest, match="end after it starts"):
            rights.add_blackout(session, channel, start=kick_off, stop=kick_off, territories="GB")
        with pytest.raises(BadRequest, match="name the territories"):
            rights.add_blackout(session, channel, start=kick_off, stop=now + dt.timedelta(hours=5), territories="")
    match = Slot(kick_off, kick_off + dt.timedelta(hours=2))
    with runtime.db.session() as session:
        channel = session.get(Channel, channel.id)
        assert channel is not None
        assert not rights.blackout(session, channel, None, "GB", now)  # before the match
        assert rights.blackout(session, channel, None, "GB", kick_off + dt.timedelta(minutes=10))
        assert not rights.blackout(session, channel, None, "FR", kick_off + dt.timedelta(minutes=10))
        assert rights.blackout(session, channel, None, None, kick_off + dt.timedelta(minutes=10))
        assert not rights.blackout(session, channel, None, "GB", kick_off + dt.timedelta(hours=2))
        assert rights.blackout(session, channel, match, "GB", now + dt.timedelta(days=1))  # catch-up of it later
        earlier = Slot(now - dt.timedelta(hours=2), now)
        assert not rights.blackout(session, channel, earlier, "GB", now)
