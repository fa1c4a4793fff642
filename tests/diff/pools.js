'use strict';
/*
 * pools.js — the seeded random source and the pools of odd names, strings,
 * integers and extension literals that generated cases draw from.
 *
 * The pools are where the nasty inputs live: empty and NUL ids, quotes and
 * backslashes, non-ASCII and astral characters, reserved words as attribute
 * names, the 64-bit integer limits, and extension literals on both sides of
 * validity (the second list of each is invalid in Cedar 4.13, as checked
 * against the reference).
 */

const I64_MAX = 9223372036854775807n;
const I64_MIN = -9223372036854775808n;

/* mulberry32: small, fast, good enough for test generation, fully seeded. */
class Rng {
    constructor(seed) { this.s = seed >>> 0; }
    next() {
        let t = (this.s = (this.s + 0x6d2b79f5) >>> 0);
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    }
    int(n) { return Math.floor(this.next() * n); }
    range(lo, hi) { return lo + this.int(hi - lo + 1); }
    chance(p) { return this.next() < p; }
    pick(a) { return a[this.int(a.length)]; }
    /* Pick from [[weight, value], ...]. */
    weighted(pairs) {
        let total = 0;
        for (const [w] of pairs) total += w;
        let x = this.next() * total;
        for (const [w, v] of pairs) if ((x -= w) < 0) return v;
        return pairs[pairs.length - 1][1];
    }
    subset(a, p) { return a.filter(() => this.chance(p)); }
}

/* One seed per case, so any case can be rebuilt alone from (seed, index). */
function caseRng(seed, index) {
    let h = (Number(seed) >>> 0) ^ 0x9e3779b9;
    h = Math.imul(h ^ (index + 0x85ebca6b), 0xc2b2ae35) >>> 0;
    return new Rng(h ^ (h >>> 16));
}

const TYPE_POOL = ['User', 'Group', 'Photo', 'Album', 'Ns::Doc', 'a::b::c::Leaf'];
const ACTION_TYPES = ['Action', 'Ns::Action'];
const ID_POOL = ['alice', 'bob', 'carol', '', '\0', 'ünïcødé', 'a"b', 'with space', '*',
    '\\', 'line\nbreak', '0', '🦀', 'tab\there', 'x::y'];
const ACTION_IDS = ['view', 'edit', 'delete', 'admin', '', 'a b'];
const ATTR_POOL = ['name', 'age', 'flag', 'owner', 'tags', 'info', 'addr', 'amount', 'when',
    'dur', 'level', 'x', 'y', 'if', 'a b', '', 'ü', '__cedar', 'principal', 'is', '\0', 'then'];
const TAG_KEYS = ['t', 'role', '', 'x y', 'owner'];
const STRING_POOL = ['', 'a', 'abc', 'alice', 'ABC', '*', '\\*', 'a*b', 'ünï', '🦀🦀', '\0',
    'x\ny', '"q"', 'héllo wörld', '\u{10ffff}', 'a\tb', ' ', 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaab'];
const INT_EDGES = [I64_MAX, I64_MIN, I64_MAX - 1n, I64_MIN + 1n, 4611686018427387904n,
    3037000500n, -3037000500n, 4294967296n, 2147483647n, -2147483648n];

/* Extension literals: [valid, invalid] per constructor. */
const EXT_LITERALS = {
    ip: [['127.0.0.1', '10.0.0.0/8', '192.168.1.1', '::1', 'ffee::/64', '224.0.0.1',
        'ff02::1', '0.0.0.0/0', '1.2.3.4/32', '::', '10.1.2.3/16', '2001:db8::1/128'],
    ['1.2.3', '256.0.0.1', '::g', '10.0.0.1/33', '', '01.2.3.4', '1.2.3.4/', 'localhost',
        '::ffff:1.2.3.4']],
    decimal: [['1.0', '-2.5', '0.0001', '922337203685477.5807', '-922337203685477.5808',
        '3.14', '0.0', '-0.0', '12.34'],
    ['1', '1.00001', 'abc', '922337203685477.5808', '.5', '1.', '', '+1.0']],
    datetime: [['2024-01-01', '2024-01-01T12:00:00Z', '2024-01-01T12:00:00.123Z',
        '2024-01-01T12:00:00+0130', '1970-01-01', '2024-02-29T23:59:59-2359', '0001-01-01',
        '9999-12-31T23:59:59.999Z'],
    ['2024-13-01', '2024-01-01T25:00:00Z', '2024-1-1', '', '2023-02-29', '2024-01-01T12:00:00',
        '2024-01-01 12:00:00Z']],
    duration: [['1d', '2h30m', '-1ms', '1d2h3m4s5ms', '0s', '9223372036854775807ms', '-3h',
        '100000d', '1m1s'],
    ['1x', '', '1h1d', '--1s', '1.5h', 'd', '9223372036854775808ms', '106751991167301d']],
};
/* Cedar value type -> its extension constructor. */
const EXT_OF = { ipaddr: 'ip', decimal: 'decimal', datetime: 'datetime', duration: 'duration' };

const VALUE_TYPES = ['Bool', 'Long', 'String', 'Entity', 'Set', 'Record',
    'ipaddr', 'decimal', 'datetime', 'duration'];

function pickInt(rng) {
    return rng.weighted([
        [6, () => BigInt(rng.range(-3, 10))],
        [2, () => BigInt(rng.range(-100000, 100000))],
        [1, () => rng.pick(INT_EDGES)],
    ])();
}

function pickString(rng) {
    return rng.chance(0.8) ? rng.pick(STRING_POOL) : rng.pick(ID_POOL);
}

function extLiteral(rng, fn, validRate) {
    const [good, bad] = EXT_LITERALS[fn];
    return rng.chance(validRate) ? rng.pick(good) : rng.pick(bad);
}

module.exports = {
    Rng, caseRng, TYPE_POOL, ACTION_TYPES, ID_POOL, ACTION_IDS, ATTR_POOL, TAG_KEYS,
    EXT_LITERALS, EXT_OF, VALUE_TYPES, pickInt, pickString, extLiteral,
};
