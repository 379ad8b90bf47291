"""IPTV links through the app: /me shows them, the M3U lists channels with guide ids and catch-up, every
stream URL redirects to a signed session that serves a playlist ffmpeg decodes, the XMLTV validates,
catch-up redirects to an archive, and regenerating revokes the old links."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urljoin, urlsplit

from fastapi.testclient import TestClient
from lxml import etree

from airwave.channels.programming import add_block, schedule_changed, set_fillers
from airwave.channels.service import create_channel
from airwave.delivery.keys import decrypt
from airwave.hls.playlist import parse_media_playlist
from airwave.runtime import Runtime
from tests.channels.test_xmltv import DTD
from tests.media.clips import decode
from tests.web.conftest import Account
from tests.web.sample import publish

EXTINF = re.compile(r'([a-z-]+)="([^"]*)"')


def playout_channel(runtime: Runtime, sample: Path) -> None:
    film = publish(runtime, sample, name="Night Train")
    with runtime.db.session() as session:
        channel = create_channel(session, runtime.settings, runtime.clock, "movies", name="Movies 24", kind="playout")
        channel.number, channel.group_title = 7, "Films"
        # The clock reads 08:00: a one-minute block that has just ended (catch-up), then one on air.
        add_block(session, runtime.clock, channel, title_id=film, start_minute=7 * 60 + 58, minutes=1)
        add_block(session, runtime.clock, channel, title_id=film, start_minute=7 * 60 + 59, minutes=600)
        set_fillers(session, channel, [film])
        schedule_changed(runtime, session, channel, runtime.clock.now())


def parse_m3u(text: str) -> list[tuple[dict[str, str], str, str]]:
    lines = text.strip().splitlines()
    assert lines[0].startswith("#EXTM3U")
    entries = []
    for info, url in zip(lines[1::2], lines[2::2], strict=True):
        assert info.startswith("#EXTINF:-1 ")
        attributes = dict(EXTINF.findall(info))
        entries.append((attributes, info.rsplit(",", 1)[1], url))
    return entries


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def fetch_playlist_locally(client: TestClient, url: str, folder: Path) -> Path:
    """Download a media playlist and its files through the app; rewrite it to the local copies.

    Encrypted segments (live_encryption) are decrypted with the keys the playlist names, as a player would.
    """
    response = client.get(path_of(url))
    assert response.status_code == 200
    lines = []
    key = None
    for number, line in enumerate(response.text.splitlines()):
        if line.startswith("#EXT-X-KEY:"):
            key = client.get(path_of(urljoin(url, line.split('"')[1]))).content if "AES-128" in line else None
            continue
        uri = line if line and not line.startswith("#") else None
        if line.startswith('#EXT-X-MAP:URI="'):
            uri = line.split('"')[1]
        if uri is not None:
            body = client.get(path_of(urljoin(url, uri)))
            assert body.status_code == 200, uri
            local = folder / f"{number:05d}{Path(uri).suffix}"
            encrypted = re.search(r"enc/\d+/(\d+)/", uri)
            clear = decrypt(body.content, key, int(encrypted[1])) if key and encrypted else body.content
            local.write_bytes(clear)
            line = line.replace(uri, str(local))
        lines.append(line)
    out = folder / "playlist.m3u8"
    out.write_text("\n".join([*lines, "#EXT-X-ENDLIST"]) + "\n")
    return out


def test_iptv_links_playlist_guide_streams_and_revocation(
    client: TestClient, runtime: Runtime, viewer: Account, sample: Path, tmp_path: Path
) -> None:
    playout_channel(runtime, sample)
    links = client.get("/api/v1/me", headers=viewer.auth).json()["iptv"]
    assert links["playlist_url"].startswith("http://testserver/iptv/")
    m3u = client.get(path_of(links["playlist_url"]))
    assert m3u.status_code == 200
    assert m3u.headers["content-type"].startswith("audio/x-mpegurl")
    assert f'x-tvg-url="{links["epg_url"]}"' in m3u.text.splitlines()[0]
    [(attributes, name, url)] = parse_m3u(m3u.text)
    assert name == "Movies 24"
    assert attributes["tvg-id"] == "movies"
    assert attributes["tvg-chno"] == "7"
    assert attributes["group-title"] == "Films"
    assert attributes["catchup"] == "default"
    assert attributes["catchup-days"] == "1"
    assert "{utc}" in attributes["catchup-source"]

    guide = client.get(path_of(links["epg_url"]))
    tree = etree.fromstring(guide.content)
    assert DTD.validate(tree), DTD.error_log.filter_from_errors()
    ids = {c.get("id") for c in tree.findall("channel")}
    assert ids == {attributes["tvg-id"]}
    assert tree.findall("programme")

    live = client.get(path_of(url), follow_redirects=False)
    assert live.status_code == 302
    master_url = urljoin(url, live.headers["location"])
    master = client.get(path_of(master_url))
    assert master.status_code == 200
    variant = urljoin(master_url, next(ln for ln in master.text.splitlines() if ln and not ln.startswith("#")))
    frames, _ = decode(fetch_playlist_locally(client, variant, tmp_path))
    assert frames >= 25 * 10

    film = tree.find("programme[title='Night Train']")
    assert film is not None
    start = film.get("start", "")
    from airwave.channels.xmltv import parse_time

    source = attributes["catchup-source"].replace("{utc}", str(int(parse_time(start).timestamp())))
    source = source.replace("{utcend}", str(int(parse_time(film.get("stop", "")).timestamp())))
    archive = client.get(path_of(source), follow_redirects=False)
    assert archive.status_code == 302
    assert "/archive/" in archive.headers["location"]
    archive_master = urljoin(source, archive.headers["location"])
    media = urljoin(archive_master, "180p/index.m3u8")
    playlist = parse_media_playlist(client.get(path_of(media)).text)
    assert playlist.ended
    assert len(playlist.segments) == 60  # the block's minute, cut at the guide's times

    fresh = client.post("/api/v1/me/iptv/regenerate", headers=viewer.auth).json()
    assert fresh["playlist_url"] != links["playlist_url"]
    assert client.get(path_of(links["playlist_url"])).status_code == 404
    assert client.get(path_of(fresh["playlist_url"])).status_code == 200


def test_forged_or_unknown_tokens_get_nothing(client: TestClient) -> None:
    assert client.get("/iptv/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA/playlist.m3u").status_code == 404
    assert client.get("/iptv/nonsense/epg.xml").status_code == 404
