// Airwave edge: verify playback tokens before anything is served, and report cache counters.
// Loaded by the nginx configuration `airwave edge-config` writes (njs, libnginx-mod-http-js).
// Token: <key id>.<session>.<expiry base 36>.<base64url HMAC-SHA256/128> over
// "<key id>\n<session>\n<prefix>\n<expiry>"; key = HMAC-SHA256(root, "airwave-playback\0" + key id).
var crypto = require('crypto');
var fs = require('fs');

var PATH = /^\/p\/([^\/]+)(\/[tc]\/[^\/]+\/)/;
var WORD = /^[0-9a-z]{1,12}$/;

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

function verify(r) {
    var match = r.uri.match(PATH);
    if (!match) {
        return '';
    }
    var parts = match[1].split('.');
    if (parts.length !== 4 || !WORD.test(parts[0]) || !WORD.test(parts[2])) {
        return '';
    }
    var now = Date.now() / 1000;
    if (parseInt(parts[2], 36) <= now) {
        return '';
    }
    var rotation = Number(r.variables.airwave_key_rotation);
    var period = parseInt(parts[0], 36);
    var current = Math.floor(now / rotation);
    if (period > current + 1 || period < current - Number(r.variables.airwave_key_periods)) {
        return '';
    }
    var root = Buffer.from(r.variables.airwave_token_root, 'hex');
    var key = crypto.createHmac('sha256', root).update('airwave-playback\0' + parts[0]).digest();
    var message = parts[0] + '\n' + parts[1] + '\n' + match[2] + '\n' + parts[2];
    var mac = crypto.createHmac('sha256', key).update(message).digest();
    var expected = mac.slice(0, 16).toString('base64url');
    return same(expected, parts[3]) ? '1' : '';
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

export default {verify, stats};
