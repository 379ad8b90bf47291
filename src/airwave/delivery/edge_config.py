"""The nginx configuration of a caching edge (``airwave edge-config``); pure text rendering.

What the edge does, in the order nginx applies it:

* every ``/p/<token>/...`` request is checked first by Lua (``airwave_edge.lua``, lua-nginx-module):
  HMAC-SHA256 over the token with keys derived from the token root, the expiry and the key period; a bad or
  expired token gets 403 and never content. The edge holds the token root only, never the origin's secret, and
  needs no origin round trip. Lua rather than njs: njs runs each request in a fresh interpreter, and the check
  cost ~10 % of serving a 1.25 MB segment; a LuaJIT worker remembers the signatures it has checked (2-5 %);
* playlists (``.m3u8``) and keys (``.key``) are personal: passed to the origin uncached, with the client's
  address in ``X-Forwarded-For`` (the origin checks the session, its lease and its entitlement there);
* everything else (segments, init sections) is cached under the path *after* the token, so one copy serves
  every session; ``proxy_cache_lock`` collapses a miss storm into one origin fetch per object and
  ``proxy_cache_use_stale`` keeps serving cached objects while the origin is down;
* a segment of a watermarked session (its token carries the code length) is cached under that path plus
  the variant Lua computes for it (code[N mod L], see :mod:`airwave.delivery.variants`): both variants are
  stored once and each session receives its own. The origin's ``private`` is overridden only for a response
  whose ``X-Airwave-Variant`` matches the variant in the key; any other ``private`` or ``no-store``
  response is passed on and never stored. A live channel's encrypted segment (``enc/<period>/<msn>/...``)
  is N = msn + 1; the edge names the variant to the origin (``X-Airwave-Variant``), which names it back when
  it is the session's (:mod:`airwave.web.live_marked`); an unencrypted live segment carries no N: never stored;
* playback responses carry ``Access-Control-Allow-Origin: *`` (the portal's player runs on another host);
* ``/healthz`` answers the origin's health checks and ``/edge/stats`` reports load and cache counters (read from
  a buffered stats log into shared memory at each report; the log is emptied as it is counted).
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from airwave.errors import BadRequest

LUA_MODULE = Path(__file__).with_name("airwave_edge.lua")
MODULES = "/usr/lib/nginx/modules"  # where Debian's nginx keeps ndk_http_module.so and ngx_http_lua_module.so
_LABEL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$")


@dataclass(frozen=True)
class EdgeOptions:
    """Everything the configuration depends on."""

    origin: str  # http://host:port of the origin
    token_root: bytes
    key_rotation_seconds: float
    key_periods: int  # how many past key periods may still hold unexpired tokens
    listen: str = "8081"  # PORT or ADDRESS:PORT
    cache_dir: Path = Path("/var/cache/airwave-edge")
    region: str = "default"
    name: str = "edge"
    max_cache_size: str = "10g"
    modules: str = MODULES
    # Load balancers in front of the edge whose X-Forwarded-For names the client (IP-bound tokens check it).
    trusted_proxies: tuple[str, ...] = ()


def origin_server(origin: str) -> str:
    """``host:port`` of the origin URL.

    Raises:
        BadRequest: not an http(s) URL with a host.
    """
    parts = urlsplit(origin)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BadRequest(f"--origin {origin!r}: give the origin's URL, e.g. http://origin.internal:8080")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return f"{parts.hostname}:{port}"


def listen_address(listen: str) -> str:
    """The ``listen`` directive's argument for ``PORT`` or ``ADDRESS:PORT``."""
    port = listen.rpartition(":")[2]
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise BadRequest(f"--listen {listen!r}: give a port (8081) or an address and port (0.0.0.0:8081)")
    return listen


def real_ip(trusted_proxies: tuple[str, ...]) -> str:
    """The realip directives that make ``$remote_addr`` the client behind ``trusted_proxies`` ("" for none).

    Raises:
        BadRequest: an entry that is not an address or a network.
    """
    lines = []
    for entry in trusted_proxies:
        try:
            network = ipaddress.ip_network(entry.strip(), strict=False)
        except ValueError:
            raise BadRequest(f"--trusted-proxy {entry!r}: give an address or a network, e.g. 10.0.0.0/8") from None
        lines.append(f"    set_real_ip_from {network};")
    if lines:
        lines += ["    real_ip_header X-Forwarded-For;", "    real_ip_recursive on;"]
    return "\n".join(lines)


def render(options: EdgeOptions) -> str:
    """The complete nginx.conf of an edge."""
    scheme = urlsplit(options.origin).scheme
    for what, value in (("--name", options.name), ("--region", options.region)):
        if not _LABEL.match(value):
            raise BadRequest(f"{what} {value!r}: use letters, digits, '.', '_' and '-' (at most 63)")
    return TEMPLATE.format(
        modules=options.modules,
        cache=options.cache_dir,
        listen=listen_address(options.listen),
        origin=origin_server(options.origin),
        scheme=scheme,
        root=options.token_root.hex(),
        rotation=int(options.key_rotation_seconds),
        periods=options.key_periods,
        name=options.name,
        region=options.region,
        max_size=options.max_cache_size,
        real_ip=real_ip(options.trusted_proxies),
    )


TEMPLATE = """\
# Airwave caching edge "{name}" (region {region}), generated by `airwave edge-config`.
# Run: nginx -c <this file>   (needs libnginx-mod-http-lua; its Lua module file sits in the cache dir)
load_module {modules}/ndk_http_module.so;
load_module {modules}/ngx_http_lua_module.so;
worker_processes auto;
# Compile the location and map regular expressions to machine code (every segment request runs two).
pcre_jit on;
pid {cache}/nginx.pid;
error_log {cache}/error.log warn;
events {{
    worker_connections 4096;
}}
http {{
    sendfile on;
    tcp_nopush on;
    keepalive_timeout 65;
    server_tokens off;
    access_log off;
    # The client's address (an IP-bound token is valid from it alone), believed only from trusted proxies.
{real_ip}
    client_body_temp_path {cache}/tmp/body;
    proxy_temp_path {cache}/tmp/proxy;
    fastcgi_temp_path {cache}/tmp/fastcgi;
    uwsgi_temp_path {cache}/tmp/uwsgi;
    scgi_temp_path {cache}/tmp/scgi;
    types {{
        application/vnd.apple.mpegurl m3u8;
        video/mp4 mp4 m4s;
        text/vtt vtt;
    }}

    lua_package_path "{cache}/?.lua;;";
    lua_shared_dict airwave_stats 1m;
    # The token root signs playback URLs; keep this file readable by the nginx master only.
    init_by_lua_block {{
        require("airwave_edge").configure({{
            root = "{root}", rotation = {rotation}, periods = {periods}, name = "{name}", region = "{region}",
            stats_log = "{cache}/stats.log",
        }})
    }}
    # The cache key is the object's path after the token: every session shares one copy.
    map $uri $airwave_cache_key {{
        "~^/p/[^/]+(?<airwave_object>/.*)$" $airwave_object;
        default $uri;
    }}
    # Store a response unless it is personal ("private" is stored only when it is the variant in the key),
    # and never a variant under a key that names another variant or none.
    map "$upstream_http_cache_control|$airwave_variant|$upstream_http_x_airwave_variant" $airwave_no_store {{
        "~\\|a\\|a$" 0;
        "~\\|b\\|b$" 0;
        "~\\|[ab]?\\|[ab]$" 1;
        "~*^[^|]*(private|no-store)" 1;
        default 0;
    }}
    log_format airwave_stats '$upstream_cache_status $body_bytes_sent';
    proxy_cache_path {cache}/cache levels=1:2 keys_zone=airwave:64m max_size={max_size} inactive=7d
                     use_temp_path=off;

    upstream airwave_origin {{
        server {origin} max_fails=0;
        keepalive 32;
    }}

    server {{
        listen {listen} reuseport;
        proxy_http_version 1.1;
        proxy_set_header Connection "";
        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        proxy_set_header X-Airwave-Edge {name};
        proxy_connect_timeout 2s;
        proxy_read_timeout 20s;
        # Players on the portal's origin fetch from edges on other hosts: the token in the path is the
        # credential (no cookies), so any page may read what its URL grants.
        proxy_hide_header Access-Control-Allow-Origin;
        # Which variant a watermarked segment is: for this edge's cache alone, never for the client.
        proxy_hide_header X-Airwave-Variant;

        location = /healthz {{
            default_type application/json;
            add_header Cache-Control no-store;
            return 200 '{{"status": "ok", "name": "{name}", "region": "{region}"}}\\n';
        }}
        location = /edge/stats {{
            content_by_lua_block {{ require("airwave_edge").stats() }}
        }}
        # Personal objects: session playlists and content keys, never cached here.
        location ~ ^/p/[^/]+/.*\\.(m3u8|key)$ {{
            set_by_lua_block $airwave_token_ok {{ return require("airwave_edge").verify() }}
            if ($airwave_token_ok != "1") {{
                return 403 "this playback link is not valid: start playback again\\n";
            }}
            proxy_pass {scheme}://airwave_origin;
            proxy_cache off;
            proxy_buffering off;
            add_header Access-Control-Allow-Origin "*" always;
        }}
        # Shared objects: segments and init sections, cached without the token.
        location /p/ {{
            # Set by verify() to "a" or "b" for a watermarked session's segment; "" for everything else.
            set $airwave_variant "";
            set_by_lua_block $airwave_token_ok {{ return require("airwave_edge").verify() }}
            if ($airwave_token_ok != "1") {{
                return 403 "this playback link is not valid: start playback again\\n";
            }}
            access_log {cache}/stats.log airwave_stats buffer=64k flush=1s;
            proxy_pass {scheme}://airwave_origin;
            # A location's own proxy_set_header replaces the server's: repeat them (keepalive, client, edge).
            proxy_set_header Connection "";
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Airwave-Edge {name};
            proxy_set_header Range "";
            # The variant in the cache key, named to the origin (a live channel's confirms it); "": none, and a
            # client's own header never passes.
            proxy_set_header X-Airwave-Variant $airwave_variant;
            proxy_ignore_headers Set-Cookie Cache-Control Expires;
            proxy_no_cache $airwave_no_store;
            proxy_cache airwave;
            proxy_cache_key "$airwave_cache_key#$airwave_variant";
            proxy_cache_valid 200 7d;
            proxy_cache_valid 404 5s;
            proxy_cache_lock on;
            proxy_cache_lock_timeout 30s;
            proxy_cache_lock_age 30s;
            proxy_cache_use_stale error timeout updating http_500 http_502 http_503 http_504;
            proxy_cache_background_update on;
            add_header X-Cache $upstream_cache_status always;
            add_header Access-Control-Allow-Origin "*" always;
        }}
        location / {{
            return 404;
        }}
    }}
}}
"""


def install_module(cache_dir: Path) -> Path:
    """Copy the Lua module into ``cache_dir`` (creating it and nginx's temp folders); returns its path."""
    for folder in (cache_dir, cache_dir / "cache", cache_dir / "tmp"):
        folder.mkdir(parents=True, exist_ok=True)
    target = cache_dir / LUA_MODULE.name
    target.write_text(LUA_MODULE.read_text())
    return target
