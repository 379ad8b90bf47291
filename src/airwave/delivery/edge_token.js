// Airwave edge: verify playback tokens before anything is served, pick watermark variants, report counters.
// Loaded by the nginx configuration `airwave edge-config` writes (njs, libnginx-mod-http-js).
// Token (airwave.delivery.tokens): <key id>.<session>.<expiry base 36>[.w<code bits>][.i<client>|.a<network>].<sig>,
// the signature being base64url HMAC-SHA256/128 over the fields before it and the path prefix, joined by
// "\n" as "<key id>\n<session>\n<prefix>\n<expiry>[\nw...][\ni...]"; key = HMAC-SHA256(root, "airwave-playback\0" + key id).
// w: a watermarked session gets segment N as variant code[N mod bits], its code being
// HMAC-SHA256(HMAC-SHA256(root, "airwave-watermark-code"), "<session>\n<block>") block by block
// (airwave.delivery.variants.derived_code). N is an on-demand segment's own number (seg_<N>.m4s), or for a live
// channel's encrypted segment (enc/<period>/<msn>/<uri>, airwave.channels.encryption) its media sequence number
// plus one, the number airwave.channels.marking marks it with and the tracer reads it by (segment_number).
// i: the session is bound to one client address; <client> is its keyed hash (tokens.client_tag): enforced here.
// a: the session is bound to its client's network (ASN). An edge has no ASN database: it accepts such a token
// from any address, and the origin, which serves every playlist and key, checks the network.
var crypto = require('crypto');
var fs = require('fs');

var SEGMENT = /^\/p\/[^\/]+\/t\/[0-9]+\/[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}\/seg_([0-9]{1,9})\.m4s$/;
var LIVE_SEGMENT =
    /^\/p\/[^\/]+\/c\/[a-z0-9][a-z0-9-]{0,62}\/enc\/[0-9]{1,11}\/([0-9]{1,12})\/[A-Za-z0-9_]{1,32}\/[0-9a-f]{1,24}-[0-9]{1,9}\.m4s$/;

function same(a, b) {
    if (a.length !== b.length) {
        return false;
    }
    var diff = 0;
    for (var i = 0; i < a.length; i++) {
        diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
    }
    return diff === 0;
}

// "1" when the request's token is valid for its path, "" otherwise. Every request runs this, so it is written
// for njs's interpreter: string scans rather than regular expressions (a match costs ~5 us here), the
// signature compared as bytes (~1 us, where a character loop costs ~6), nothing computed at module level (njs
// runs it for each request). Malformed tokens need no separate checks: they fail the signature.
function verify(r) {
    var uri = r.uri;  // "/p/<token>/<t|c>/<id>/..."; the location guarantees "/p/"
    var end = uri.indexOf('/', 3);
    var kind = uri.charAt(end + 1);
    var close = uri.indexOf('/', end + 3);
    if (end < 4 || (kind !== 't' && kind !== 'c') || uri.charAt(end + 2) !== '/' || close < end + 4) {
        return '';
    }
    var parts = uri.slice(3, end).split('.');
    var count = parts.length;
    var sig = parts[count - 1];
    if (count < 4 || count > 6 || sig.length !== 22) {
        return '';
    }
    var now = Date.now() / 1000;
    if (!(parseInt(parts[2], 36) > now)) {
        return '';
    }
    var period = parseInt(parts[0], 36);
    var current = Math.floor(now / Number(r.variables.airwave_key_rotation));
    if (!(period <= current + 1 && period >= current - Number(r.variables.airwave_key_periods))) {
        return '';
    }
    var message = parts[0] + '\n' + parts[1] + '\n' + uri.slice(end, close + 1) + '\n' + parts[2];
    var bound = '';
    for (var i = 3; i < count - 1; i++) {
        message += '\n' + parts[i];
        if (parts[i].charAt(0) === 'i') {
            bound = parts[i].slice(1);
        }
    }
    var root = Buffer.from(r.variables.airwave_token_root, 'hex');
    var key = crypto.createHmac('sha256', root).update('airwave-playback\0' + parts[0]).digest();
    var mac = crypto.createHmac('sha256', key).update(message).digest();
    var given = Buffer.from(sig, 'base64url');
    // Only the canonical spelling of a signature (its own re-encoding: no secret in this comparison).
    var diff = given.length === 16 && given.toString('base64url') === sig ? 0 : 1;
    for (var j = 0; j < 16; j++) {
        diff |= mac[j] ^ given[j];
    }
    if (diff !== 0) {
        return '';
    }
    if (bound && !same(clientTag(root, r.variables.remote_addr), bound)) {
        r.warn('airwave replay: session ' + parts[1] + ' is bound to another address, refused for '
               + r.variables.remote_addr);
        return '';
    }
    return '1';
}

function clientTag(root, address) {
    var key = crypto.createHmac('sha256', root).update('airwave-client-address').digest();
    return crypto.createHmac('sha256', key).update(address).digest().slice(0, 8).toString('base64url');
}

// The number N a segment URL is marked and served by; -1 when the URL is no segment that can be marked.
function segmentNumber(uri) {
    var title = uri.match(SEGMENT);
    if (title) {
        return Number(title[1]);
    }
    var live = uri.match(LIVE_SEGMENT);
    return live ? Number(live[1]) + 1 : -1;
}

// "a" or "b": the variant of this segment for a marked session's (already verified) token; "" otherwise.
function variant(r) {
    var number = segmentNumber(r.uri);
    if (number < 0) {
        return '';
    }
    var parts = r.uri.split('/')[2].split('.');
    var marks = parts.slice(3, parts.length - 1).filter(function (extra) { return extra[0] === 'w'; });
    if (parts.length < 5 || !marks.length) {
        return '';
    }
    var bits = parseInt(marks[0].slice(1), 36);
    if (!(bits > 0)) {
        return '';
    }
    var position = number % bits;
    var root = Buffer.from(r.variables.airwave_token_root, 'hex');
    var key = crypto.createHmac('sha256', root).update('airwave-watermark-code').digest();
    var block = crypto.createHmac('sha256', key).update(parts[1] + '\n' + Math.floor(position / 256)).digest();
    var byte = block[Math.floor((position % 256) / 8)];
    return (byte >> (7 - position % 8)) & 1 ? 'b' : 'a';
}

function stats(r) {
    var text = '';
    try {
        text = fs.readFileSync(r.variables.airwave_stats_log, 'utf8');
    } catch (e) {
        text = '';
    }
    var hits = 0, misses = 0, bytes = 0;
    var lines = text.split('\n');
    for (var i = 0; i < lines.length; i++) {
        var space = lines[i].indexOf(' ');
        if (space < 0) {
            continue;
        }
        var status = lines[i].slice(0, space);
        bytes += Number(lines[i].slice(space + 1)) || 0;
        if (status === 'HIT' || status === 'STALE' || status === 'UPDATING' || status === 'REVALIDATED') {
            hits++;
        } else if (status === 'MISS' || status === 'EXPIRED' || status === 'BYPASS') {
            misses++;
        }
    }
    r.headersOut['Content-Type'] = 'application/json';
    r.headersOut['Cache-Control'] = 'no-store';
    r.return(200, JSON.stringify({
        name: r.variables.airwave_edge_name,
        region: r.variables.airwave_edge_region,
        connections: Number(r.variables.connections_active) || 0,
        hits: hits,
        misses: misses,
        bytes_sent: bytes
    }));
}

export default {verify, variant, stats};
