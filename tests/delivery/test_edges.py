from __future__ import annotations

import pytest

from airwave.clock import FakeClock
from airwave.delivery.edges import add_edge, choose, list_edges, redundant_master, region_for, remove_edge
from airwave.delivery.tokens import Keyring, TokenRejected, client_tag
from airwave.errors import BadRequest, Conflict, NotFound
from airwave.runtime import Runtime


def test_registry_choice_prefers_healthy_edges_in_region_then_least_loaded(runtime: Runtime, clock: FakeClock) -> None:
    with runtime.db.session() as session:
        eu1 = add_edge(session, clock, "eu1", "http://eu1.example:8081", "eu")
        eu2 = add_edge(session, clock, "eu2", "http://eu2.example:8081/", "eu")
        us1 = add_edge(session, clock, "us1", "http://us1.example:8081", "us")
        with pytest.raises(Conflict):
            add_edge(session, clock, "eu1", "http://x:1", "eu")
        for bad in ("ftp://x", "http://x/path", "not a url"):
            with pytest.raises(BadRequest):
                add_edge(session, clock, "e9", bad)
        edges = list_edges(session)
        assert choose(edges, "eu") == []  # nothing has passed a health check yet
        eu1.healthy = eu2.healthy = us1.healthy = True
        eu1.connections, eu2.connections = 50, 3
        assert [c.name for c in choose(edges, "eu")] == ["eu2", "eu1"]
        assert choose(edges, "eu")[0].url == "http://eu2.example:8081"
        eu2.healthy = False
        assert [c.name for c in choose(edges, "eu")] == ["eu1", "us1"]
        assert [c.name for c in choose(edges, "asia")] == ["us1", "eu1"]  # least loaded
        remove_edge(session, "us1")
        with pytest.raises(NotFound):
            remove_edge(session, "us1")


def test_region_for_addresses() -> None:
    regions = ("10.1.0.0/16=eu", "10.2.0.0/16=us", "bogus=zz")
    assert region_for(regions, "10.1.2.3") == "eu"
    assert region_for(regions, "10.2.0.1") == "us"
    assert region_for(regions, "192.0.2.1") == "default"
    assert region_for(regions, "not-an-ip") == "default"


def test_redundant_master_repeats_variants_on_backup_edges() -> None:
    master = "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-STREAM-INF:BANDWIDTH=1\n180p/index.m3u8\n"
    text = redundant_master(master, ["http://e2:1/p/tok/t/1/"])
    assert text.splitlines()[-4:] == [
        "#EXT-X-STREAM-INF:BANDWIDTH=1",
        "180p/index.m3u8",
        "#EXT-X-STREAM-INF:BANDWIDTH=1",
        "http://e2:1/p/tok/t/1/180p/index.m3u8",
    ]


def test_redundant_master_gives_backup_variants_their_own_audio_and_subtitle_groups() -> None:
    master = (
        "#EXTM3U\n"
        '#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio",NAME="English",DEFAULT=YES,URI="audio-eng/index.m3u8"\n'
        '#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="subs",NAME="English",URI="subs-en/index.m3u8"\n'
        '#EXT-X-STREAM-INF:BANDWIDTH=1,CODECS="avc1.42c00c,mp4a.40.2",AUDIO="audio",SUBTITLES="subs"\n'
        "180p/index.m3u8\n"
    )
    lines = redundant_master(master, ["http://e2:1/p/tok/t/1/"]).splitlines()
    assert lines[:5] == master.splitlines()  # the originals first, unchanged
    assert lines[5:] == [
        '#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio-backup1",NAME="English",DEFAULT=YES,'
        'URI="http://e2:1/p/tok/t/1/audio-eng/index.m3u8"',
        '#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="subs-backup1",NAME="English",'
        'URI="http://e2:1/p/tok/t/1/subs-en/index.m3u8"',
        '#EXT-X-STREAM-INF:BANDWIDTH=1,CODECS="avc1.42c00c,mp4a.40.2",AUDIO="audio-backup1",SUBTITLES="subs-backup1"',
        "http://e2:1/p/tok/t/1/180p/index.m3u8",
    ]


def test_an_ip_bound_token_carries_a_keyed_hash_of_the_client_and_verifies_only_signed() -> None:
    root = b"r" * 32
    bound = Keyring(root, 3600, 600, mark_bits=64, bind_clients=True).signer(1_000_000.0)
    free = Keyring(root, 3600, 600, mark_bits=64).signer(1_000_000.0)
    token = bound.sign("sess", "/t/1/", 1_000_100, marked=True, client="192.0.2.7")
    key_id, session, expiry, mark, client, signature = token.split(".")
    assert (mark, client) == ("w1s", "i" + client_tag(root, "192.0.2.7"))
    assert "192.0.2.7" not in token
    assert client_tag(root, "192.0.2.8") != client_tag(root, "192.0.2.7")
    grant = free.verify(token, "/t/1/", 1_000_000.0)  # any signer verifies; edges enforce the address
    assert (grant.mark_bits, grant.client) == (64, client[1:])
    assert len(free.sign("sess", "/t/1/", 1_000_100, client="192.0.2.7").split(".")) == 4  # not binding
    for forged in (f"{key_id}.{session}.{expiry}.{mark}.{signature}",
                   f"{key_id}.{session}.{expiry}.{mark}.i{client_tag(root, '192.0.2.8')}.{signature}",
                   f"{key_id}.{session}.{expiry}.{client}.{mark}.{signature}"):  # fmt: skip
        with pytest.raises(TokenRejected):
            free.verify(forged, "/t/1/", 1_000_000.0)
