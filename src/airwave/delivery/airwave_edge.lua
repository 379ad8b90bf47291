-- Airwave edge: verify playback tokens before anything is served, pick watermark variants, count cache traffic.
-- Loaded by the nginx configuration `airwave edge-config` writes (lua-nginx-module on LuaJIT; HMAC-SHA256 is
-- OpenSSL's, which nginx is linked with, called through the FFI).
--
-- Token (airwave.delivery.tokens): <key id>.<session>.<expiry base 36>[.w<code bits>][.i<client>|.a<network>].<sig>,
-- the signature being base64url HMAC-SHA256/128 over the fields before it and the path prefix, joined by "\n" as
-- "<key id>\n<session>\n<prefix>\n<expiry>[\nw...][\ni...]"; key = HMAC-SHA256(root, "airwave-playback\0" + key id).
-- w: a watermarked session gets segment N as variant code[N mod bits], its code being
-- HMAC-SHA256(HMAC-SHA256(root, "airwave-watermark-code"), "<session>\n<block>") block by block
-- (airwave.delivery.variants.derived_code). N is an on-demand segment's own number (seg_<N>.m4s), or for a live
-- channel's encrypted segment (enc/<period>/<msn>/<uri>, airwave.channels.encryption) its media sequence number
-- plus one, the number airwave.channels.marking marks it with and the tracer reads it by (segment_number).
-- i: the session is bound to one client address; <client> is its keyed hash (tokens.client_tag): enforced here.
-- a: the session is bound to its client's network (ASN). An edge has no ASN database: it accepts such a token
-- from any address, and the origin, which serves every playlist and key, checks the network.
--
-- Every request runs verify(), so it is cheap on the path that matters: a token whose signature this worker
-- has already checked is looked up, not recomputed (the expiry and the client binding are still checked on
-- each request; a signature cannot change, an address and the clock can).
local ffi = require("ffi")
local bit = require("bit")

local byte, find, floor, format, gmatch, gsub, match, sub = string.byte, string.find, math.floor, string.format,
    string.gmatch, string.gsub, string.match, string.sub

ffi.cdef [[
const void *EVP_sha256(void);
unsigned char *HMAC(const void *md, const void *key, int key_len, const unsigned char *data, size_t data_len,
                    unsigned char *out, unsigned int *out_len);
int truncate(const char *path, long length);
]]

-- nginx is linked with libcrypto, so its symbols are already in the process.
local crypto = pcall(function() return ffi.C.HMAC end) and ffi.C or ffi.load("libcrypto.so.3")
local SHA256 = crypto.EVP_sha256()
local digest = ffi.new("unsigned char[32]")
local digest_length = ffi.new("unsigned int[1]")

local MAX_VERIFIED = 100000 -- tokens remembered per worker (about 30 MB at most) before starting afresh
local STATS_LOG_LIMIT = 16 * 1024 * 1024 -- bytes of counted stats log after which the log is emptied
local HIT = { HIT = true, STALE = true, UPDATING = true, REVALIDATED = true }
local MISS = { MISS = true, EXPIRED = true, BYPASS = true }

local settings          -- from configure()
local keys = {}         -- key id -> signing key
local verified = {}     -- "<token>/<t|c>/<id>/" -> what it grants, for tokens whose signature was checked
local verified_count = 0

local function hmac(key, message)
    if crypto.HMAC(SHA256, key, #key, message, #message, digest, digest_length) == nil then
        error("HMAC-SHA256 failed in libcrypto")
    end
    return ffi.string(digest, 32)
end

local function base64url(bytes)
    return (gsub(ngx.encode_base64(bytes, true), "[+/]", { ["+"] = "-", ["/"] = "_" }))
end

local function json_string(text)
    return '"' .. gsub(text, '[%c"\\]', function(c) return format("\\u%04x", byte(c)) end) .. '"'
end

local M = {}

-- Called once, by init_by_lua in the nginx master: the token root (hex), the key rotation in seconds, how
-- many past key periods can still hold unexpired tokens, the edge's name and region for /edge/stats and the
-- stats log its shared objects are logged to.
function M.configure(options)
    local root = gsub(options.root, "%x%x", function(pair) return string.char(tonumber(pair, 16)) end)
    settings = {
        root = root,
        rotation = options.rotation,
        periods = options.periods,
        client_key = hmac(root, "airwave-client-address"),
        code_key = hmac(root, "airwave-watermark-code"),
        name = options.name,
        region = options.region,
        stats_log = options.stats_log,
    }
end

-- What a token grants when its fields are well formed, its key period current and its signature right for
-- ``prefix``: its expiry, the client tag it is bound to (or nil) and its code length (0: unmarked); nil
-- otherwise. Only the canonical spelling of a signature matches (it is compared with our own encoding; Lua
-- strings are interned, so the comparison is one pointer compare, with no early exit to time).
local function check(token, prefix, now)
    local id, session, expiry, extras, signature = match(token, "^([0-9a-z]+)%.([^.]+)%.([0-9a-z]+)(.-)%.([%w_%-]+)$")
    if not id or #id > 12 or #expiry > 12 or #signature ~= 22 then
        return nil
    end
    local expires, period = tonumber(expiry, 36), tonumber(id, 36)
    local current = floor(now / settings.rotation)
    if expires <= now or period > current + 1 or period < current - settings.periods then
        return nil
    end
    local key = keys[id]
    if not key then
        key = hmac(settings.root, "airwave-playback\0" .. id)
        keys[id] = key -- one per key period that ever verified a token
    end
    local message = id .. "\n" .. session .. "\n" .. prefix .. "\n" .. expiry .. gsub(extras, "%.", "\n")
    if base64url(sub(hmac(key, message), 1, 16)) ~= signature then
        return nil
    end
    return expires, match(extras, "%.i([%w_%-]+)$"), tonumber(match(extras, "^%.w([0-9a-z]+)") or "0", 36)
end

local function client_tag(address)
    return base64url(sub(hmac(settings.client_key, address), 1, 8))
end

-- The number N a segment URL is marked and served by; nil when the URL is no segment that can be marked.
local function segment_number(uri)
    local number = match(uri, "^/p/[^/]+/t/%d+/[%w_%-][%w._%-]*/seg_(%d+)%.m4s$")
    if number and #number <= 9 then
        return tonumber(number)
    end
    local sequence = match(uri, "^/p/[^/]+/c/[%l%d][%l%d%-]*/enc/%d+/(%d+)/[%w_]+/[%x]+%-%d+%.m4s$")
    if sequence and #sequence <= 12 then
        return tonumber(sequence) + 1
    end
    return nil
end

-- "a" or "b": the variant of this segment for a marked session; "" for anything else (playlists, init sections).
local function variant(uri, session, bits)
    local number = segment_number(uri)
    if not number then
        return ""
    end
    local position = number % bits
    local block = hmac(settings.code_key, session .. "\n" .. floor(position / 256))
    local code_byte = byte(block, floor((position % 256) / 8) + 1)
    return bit.band(bit.rshift(code_byte, 7 - position % 8), 1) == 1 and "b" or "a"
end

-- "1" when the request's token grants its path, "" otherwise (the configuration answers 403). For a marked
-- session's segment it also sets $airwave_variant (one call per request instead of two).
function M.verify()
    local uri = ngx.var.uri
    local _, stop = find(uri, "^/p/[^/]+/[tc]/[^/]+/")
    if not stop then
        return ""
    end
    local seen = sub(uri, 4, stop) -- "<token>/<t|c>/<id>/"
    local now = ngx.now()
    local grant = verified[seen]
    if not grant then
        local slash = find(seen, "/", 1, true)
        local expires, bound, bits = check(sub(seen, 1, slash - 1), sub(seen, slash), now)
        if not expires then
            return ""
        end
        if verified_count >= MAX_VERIFIED then
            verified, verified_count = {}, 0
        end
        grant = { expires = expires, bound = bound, bits = bits, session = match(seen, "^[^.]+%.([^.]+)") }
        verified[seen], verified_count = grant, verified_count + 1
    end
    if grant.expires <= now then
        return ""
    end
    if grant.bound then
        local address = ngx.var.remote_addr
        if client_tag(address) ~= grant.bound then
            ngx.log(ngx.WARN, "airwave replay: session ", grant.session, " is bound to another address, refused for ",
                address)
            return ""
        end
    end
    if grant.bits > 0 then
        ngx.var.airwave_variant = variant(uri, grant.session, grant.bits)
    end
    return "1"
end

-- Adds the stats log's new lines ("<cache status> <bytes sent>", one per shared object sent, written by nginx's
-- buffered access_log: cheaper than any per-request Lua) to the counters in shared memory, one worker at a
-- time. Once STATS_LOG_LIMIT bytes are counted the log is emptied; a buffer nginx appends in the instant
-- between the read and the truncate goes uncounted.
local function collect(counters)
    if not counters:add("collecting", true, 10) then
        return -- another worker is collecting: report what is counted so far
    end
    local file = io.open(settings.stats_log, "rb")
    if file then
        local offset = counters:get("offset") or 0
        local size = file:seek("end")
        if size < offset then
            offset = 0
        end
        file:seek("set", offset)
        local text = file:read(size - offset) or ""
        file:close()
        local counted = 0
        for status, sent, stop in gmatch(text, "(%u+) (%d+)\n()") do
            counters:incr("bytes_sent", tonumber(sent), 0)
            if HIT[status] then
                counters:incr("hits", 1, 0)
            elseif MISS[status] then
                counters:incr("misses", 1, 0)
            end
            counted = stop - 1
        end
        offset = offset + counted
        if offset >= STATS_LOG_LIMIT and ffi.C.truncate(settings.stats_log, 0) == 0 then
            offset = 0
        end
        counters:set("offset", offset)
    end
    counters:delete("collecting")
end

-- /edge/stats: what the origin's monitor reads (health, load, cache counters since nginx started).
function M.stats()
    local counters = ngx.shared.airwave_stats
    collect(counters)
    ngx.header["Content-Type"] = "application/json"
    ngx.header["Cache-Control"] = "no-store"
    ngx.say(format('{"name": %s, "region": %s, "connections": %d, "hits": %d, "misses": %d, "bytes_sent": %d}',
        json_string(settings.name), json_string(settings.region), tonumber(ngx.var.connections_active) or 0,
        counters:get("hits") or 0, counters:get("misses") or 0, counters:get("bytes_sent") or 0))
end

return M
