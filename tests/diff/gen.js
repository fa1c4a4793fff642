'use strict';
/*
 * gen.js — seeded random Cedar test cases for the differential tester.
 *
 * A case is a policy set (kept as ASTs, printed to Cedar text), an entity
 * list and a list of requests. Everything is drawn from a small per-case
 * "universe" — a few entity types, ids, actions and attribute names, each
 * attribute with a fixed type — so that policies mostly talk about things the
 * data holds, and evaluation reaches real decisions rather than an error at
 * the first attribute access. A per-case ill-typing rate then mixes in
 * expressions of the wrong type, missing attributes, bad extension literals,
 * integer overflow and odd strings, so errors are exercised too; a few cases
 * get a syntax mutation or malformed data, to check that we refuse what the
 * reference refuses.
 *
 * About two cases in five come with a schema (gen-schema.js), which puts
 * entity and context parsing by schema and request validation to the test.
 *
 * Policies stay as ASTs (not text) so that the shrinker can simplify them
 * node by node; printPolicies prints them with minimal parentheses by Cedar's
 * precedence, so precedence is tested as well. The same seed and case number
 * always give the same case.
 */

const {
    caseRng, TYPE_POOL, ACTION_TYPES, ID_POOL, ACTION_IDS, ATTR_POOL, TAG_KEYS, EXT_OF,
    VALUE_TYPES, pickInt, pickString, extLiteral,
} = require('./pools.js');
const { quoteBody, quote, isIdent } = require('./cedar-text.js');
const schemaGen = require('./gen-schema.js');
const { oddValue, oddEntity } = require('./odd-data.js');

/* ------------------------------------------------------------- universe */

/*
 * The per-case universe: entity uids (in a fixed order that keeps the
 * parent relation acyclic unless a case asks for a cycle), action uids,
 * attribute name -> type, the tag value type and the knobs of this case.
 */
function makeUniverse(rng) {
    const types = rng.subset(TYPE_POOL, 0.5);
    if (types.length === 0) types.push('User');
    const uids = [];
    for (const type of types) {
        for (const id of rng.subset(ID_POOL, 0.2).concat(rng.pick(ID_POOL)))
            if (!uids.some((u) => u.type === type && u.id === id)) uids.push({ type, id });
    }
    const actionType = rng.chance(0.85) ? 'Action' : rng.pick(ACTION_TYPES);
    const actions = [...new Set(rng.subset(ACTION_IDS, 0.4).concat('view'))]
        .map((id) => ({ type: actionType, id }));
    const attrs = {};
    for (const name of rng.subset(ATTR_POOL, 0.35).concat(rng.pick(['name', 'age', 'flag'])))
        attrs[name] = rng.pick(VALUE_TYPES);
    return {
        rng, types, uids, actions, attrs,
        tagType: rng.pick(VALUE_TYPES),
        illTyped: rng.pick([0, 0.02, 0.05, 0.12]),
        maxDepth: rng.range(1, 5),
        unicodeEscapes: rng.chance(0.3),
        withSchema: rng.chance(0.4),
        badData: rng.chance(0.04),
        badContext: rng.chance(0.04),
    };
}

function attrNames(u, type) {
    return Object.keys(u.attrs).filter((n) => type === undefined || u.attrs[n] === type);
}

/* An attribute name, of the wanted type when the universe has one. */
function pickAttr(u, type) {
    const typed = attrNames(u, type);
    if (typed.length && u.rng.chance(0.9)) return u.rng.pick(typed);
    return u.rng.chance(0.8) ? u.rng.pick(attrNames(u)) : u.rng.pick(ATTR_POOL);
}

function pickEntity(u) {
    const { rng } = u;
    if (rng.chance(0.05)) return { type: rng.pick(TYPE_POOL), id: 'ghost' };
    return rng.chance(0.1) ? rng.pick(u.actions) : rng.pick(u.uids);
}

/* ------------------------------------------------ data values (JSON form) */

/* A value of type t in the Cedar entity JSON format; longs are BigInts. */
function dataValue(u, t, depth) {
    const { rng } = u;
    const extValid = u.badData ? 0.6 : 1;
    switch (t) {
    case 'Bool': return rng.chance(0.5);
    case 'Long': return pickInt(rng);
    case 'String': return pickString(rng);
    case 'Entity': return { __entity: pickEntity(u) };
    case 'Set': {
        const et = rng.pick(['Long', 'String', 'Entity', 'Bool']);
        return depth <= 0 ? [] : Array.from({ length: rng.int(4) }, () => dataValue(u, et, depth - 1));
    }
    case 'Record': return depth <= 0 ? {} : dataRecord(u, depth - 1, 0.3);
    default: return { __extn: { fn: EXT_OF[t], arg: extLiteral(rng, EXT_OF[t], extValid) } };
    }
}

/* A record holding some of the universe's attributes, each of its type. */
function dataRecord(u, depth, p, bad = u.badData) {
    const rec = {};
    for (const name of attrNames(u)) {
        if (!u.rng.chance(p)) continue;
        const t = bad && u.rng.chance(0.1) ? u.rng.pick(VALUE_TYPES) : u.attrs[name];
        rec[name] = dataValue(u, t, depth);
    }
    if (bad && u.rng.chance(0.5)) oddValue(u.rng, rec, attrNames(u));
    return rec;
}

function uidJson(uid, rng) {
    return rng.chance(0.1) ? { __entity: { type: uid.type, id: uid.id } } : { type: uid.type, id: uid.id };
}

/* Parents come later in the uid order, which keeps the hierarchy acyclic. */
function pickParents(u, all, i) {
    const { rng } = u;
    const later = all.slice(i + 1);
    const parents = rng.subset(later, 0.25).slice(0, 3);
    if (u.badData && rng.chance(0.2)) parents.push(rng.pick(all)); // maybe a cycle
    return parents;
}

function makeEntities(u) {
    const { rng } = u;
    const all = u.uids.concat(u.actions);
    const out = [];
    all.forEach((uid, i) => {
        if (!rng.chance(0.85)) return;
        const e = { uid: uidJson(uid, rng), attrs: dataRecord(u, 2, 0.6),
            parents: pickParents(u, all, i).map((p) => uidJson(p, rng)) };
        if (rng.chance(0.3)) {
            e.tags = {};
            for (const k of rng.subset(TAG_KEYS, 0.4)) e.tags[k] = dataValue(u, u.tagType, 1);
        }
        out.push(e);
    });
    if (u.badData && out.length && rng.chance(0.3)) out.push(Object.assign({}, rng.pick(out), { attrs: { dup: true } }));
    if (u.badData && out.length && rng.chance(0.3)) oddEntity(rng, rng.pick(out));
    return out;
}

function makeRequests(u) {
    const { rng } = u;
    return Array.from({ length: rng.range(1, 8) }, () => ({
        principal: rng.chance(0.9) ? rng.pick(u.uids) : pickEntity(u),
        action: rng.chance(0.95) ? rng.pick(u.actions) : pickEntity(u),
        resource: rng.chance(0.9) ? rng.pick(u.uids) : pickEntity(u),
        context: dataRecord(u, 2, 0.5, u.badContext),
    }));
}

/* ---------------------------------------------------------- expressions */
/*
 * AST node kinds: lit (bool/long/string), var, euid, set, rec, ext (function
 * call), not, neg, bin (op l r), has, like, is, attr, call (method), if.
 */

const lit = (v) => ({ k: 'lit', v });
const bin = (op, l, r) => ({ k: 'bin', op, l, r });
const call = (a, m, args) => ({ k: 'call', a, m, args });

function leaf(u, t) {
    const { rng } = u;
    switch (t) {
    case 'Bool': return rng.chance(0.6) ? lit(rng.chance(0.5)) : attrOn(u, 'Bool', 0);
    case 'Long': return lit(pickInt(rng));
    case 'String': return lit(pickString(rng));
    case 'Entity':
        return rng.chance(0.6) ? { k: 'var', n: rng.pick(['principal', 'action', 'resource']) }
            : { k: 'euid', uid: pickEntity(u) };
    case 'Set': return { k: 'set', elems: rng.chance(0.3) ? [] : [leaf(u, 'Long'), leaf(u, 'Long')] };
    case 'Record': return rng.chance(0.5) ? { k: 'var', n: 'context' } : { k: 'rec', pairs: [] };
    default: return extCall(u, t, 0);
    }
}

/* fn("literal") most of the time; sometimes an arbitrary string expression. */
function extCall(u, t, d) {
    const fn = EXT_OF[t];
    const arg = d > 0 && u.rng.chance(0.15) ? gx(u, 'String', d - 1)
        : lit(extLiteral(u.rng, fn, u.illTyped ? 0.85 : 0.97));
    return { k: 'ext', fn, args: [arg] };
}

/* base.attr where base is a variable or a nested access. */
function attrOn(u, t, d) {
    const { rng } = u;
    const base = d > 0 && rng.chance(0.3) ? gx(u, rng.pick(['Entity', 'Record']), d - 1)
        : { k: 'var', n: rng.pick(['principal', 'resource', 'context', 'context', 'action']) };
    return { k: 'attr', a: base, attr: pickAttr(u, t) };
}

/* `base has a && <predicate on base.a>`: the guarded form policies use. */
function guarded(u, d) {
    const base = { k: 'var', n: u.rng.pick(['principal', 'resource', 'context']) };
    const name = pickAttr(u);
    const t = u.attrs[name] || 'Long';
    const access = { k: 'attr', a: base, attr: name };
    const pred = t === 'Bool' ? access : bin(u.rng.pick(['==', '!=']), access, gx(u, t, d));
    return bin('&&', { k: 'has', a: base, attr: name }, pred);
}

function likePattern(rng) {
    return Array.from({ length: rng.int(4) }, () =>
        rng.chance(0.35) ? '*' : { lit: rng.pick(['a', 'b', 'abc', '*', '\\', 'ü', '', '\0', ' ']) });
}

const CMP = ['<', '<=', '>', '>='];
const DEC_CMP = ['lessThan', 'lessThanOrEqual', 'greaterThan', 'greaterThanOrEqual'];
const IP_TESTS = ['isIpv4', 'isIpv6', 'isLoopback', 'isMulticast'];
const DUR_TO = ['toMilliseconds', 'toSeconds', 'toMinutes', 'toHours', 'toDays'];

/* Generators of a compound expression, by result type; each gets depth d. */
const COMPOUND = {
    Bool: [
        (u, d) => ({ k: 'not', a: gx(u, 'Bool', d) }),
        (u, d) => bin(u.rng.pick(['&&', '||']), gx(u, 'Bool', d), gx(u, 'Bool', d)),
        (u, d) => { const t = u.rng.pick(VALUE_TYPES); return bin(u.rng.pick(['==', '!=']), gx(u, t, d), gx(u, t, d)); },
        (u, d) => { const t = u.rng.pick(['Long', 'Long', 'datetime', 'duration']); return bin(u.rng.pick(CMP), gx(u, t, d), gx(u, t, d)); },
        (u, d) => bin('in', gx(u, 'Entity', d), u.rng.chance(0.7) ? gx(u, 'Entity', d) : entitySet(u, d)),
        (u, d) => ({ k: 'has', a: gx(u, u.rng.pick(['Entity', 'Record']), d), attr: pickAttr(u) }),
        (u, d) => ({ k: 'like', a: gx(u, 'String', d), pat: likePattern(u.rng) }),
        (u, d) => ({ k: 'is', a: gx(u, 'Entity', d), type: u.rng.pick(u.types.concat(TYPE_POOL)),
            in: u.rng.chance(0.3) ? gx(u, 'Entity', d) : null }),
        (u, d) => call(gx(u, 'Set', d), 'contains', [gx(u, u.rng.pick(['Long', 'String', 'Entity']), d)]),
        (u, d) => call(gx(u, 'Set', d), u.rng.pick(['containsAll', 'containsAny']), [gx(u, 'Set', d)]),
        (u, d) => call(gx(u, 'Set', d), 'isEmpty', []),
        (u, d) => call(gx(u, 'Entity', d), 'hasTag', [tagKey(u, d)]),
        (u, d) => call(gx(u, 'ipaddr', d), u.rng.pick(IP_TESTS), []),
        (u, d) => call(gx(u, 'ipaddr', d), 'isInRange', [gx(u, 'ipaddr', d)]),
        (u, d) => call(gx(u, 'decimal', d), u.rng.pick(DEC_CMP), [gx(u, 'decimal', d)]),
        (u, d) => attrOn(u, 'Bool', d),
        (u, d) => guarded(u, d),
        (u, d) => ifThen(u, 'Bool', d),
    ],
    Long: [
        (u, d) => ({ k: 'neg', a: gx(u, 'Long', d) }),
        (u, d) => bin(u.rng.pick(['+', '-', '*']), gx(u, 'Long', d), gx(u, 'Long', d)),
        (u, d) => call(gx(u, 'duration', d), u.rng.pick(DUR_TO), []),
        (u, d) => attrOn(u, 'Long', d),
        (u, d) => getTag(u, d),
        (u, d) => ifThen(u, 'Long', d),
    ],
    String: [(u, d) => attrOn(u, 'String', d), (u, d) => getTag(u, d), (u, d) => ifThen(u, 'String', d)],
    Entity: [(u, d) => attrOn(u, 'Entity', d), (u, d) => getTag(u, d), (u, d) => ifThen(u, 'Entity', d)],
    Set: [
        (u, d) => { const t = u.rng.pick(['Long', 'String', 'Entity', 'Bool']);
            return { k: 'set', elems: Array.from({ length: u.rng.int(4) }, () => gx(u, t, d)) }; },
        (u, d) => attrOn(u, 'Set', d),
        (u, d) => ifThen(u, 'Set', d),
    ],
    Record: [
        (u, d) => ({ k: 'rec', pairs: u.rng.subset(attrNames(u), 0.4).map((n) => [n, gx(u, u.attrs[n], d)]) }),
        (u, d) => attrOn(u, 'Record', d),
        (u, d) => ifThen(u, 'Record', d),
    ],
    ipaddr: [(u, d) => extCall(u, 'ipaddr', d), (u, d) => attrOn(u, 'ipaddr', d)],
    decimal: [(u, d) => extCall(u, 'decimal', d), (u, d) => attrOn(u, 'decimal', d)],
    datetime: [
        (u, d) => extCall(u, 'datetime', d),
        (u, d) => call(gx(u, 'datetime', d), 'offset', [gx(u, 'duration', d)]),
        (u, d) => call(gx(u, 'datetime', d), 'toDate', []),
        (u, d) => attrOn(u, 'datetime', d),
    ],
    duration: [
        (u, d) => extCall(u, 'duration', d),
        (u, d) => call(gx(u, 'datetime', d), 'durationSince', [gx(u, 'datetime', d)]),
        (u, d) => call(gx(u, 'datetime', d), 'toTime', []),
        (u, d) => attrOn(u, 'duration', d),
    ],
};

function ifThen(u, t, d) {
    return { k: 'if', c: gx(u, 'Bool', d), t: gx(u, t, d), e: gx(u, t, d) };
}

function tagKey(u, d) {
    return u.rng.chance(0.8) ? lit(u.rng.pick(TAG_KEYS)) : gx(u, 'String', d);
}

function getTag(u, d) {
    return call(gx(u, 'Entity', d), 'getTag', [tagKey(u, d)]);
}

function entitySet(u, d) {
    return { k: 'set', elems: Array.from({ length: u.rng.int(3) }, () => gx(u, 'Entity', d)) };
}

/* An expression meant to have type t (or, at the ill-typing rate, not). */
function gx(u, t, d) {
    const { rng } = u;
    if (rng.chance(u.illTyped)) t = rng.pick(VALUE_TYPES);
    if (d <= 0 || rng.chance(0.25)) return leaf(u, t);
    return rng.pick(COMPOUND[t])(u, d - 1);
}

/* ------------------------------------------------------------- policies */

function scopeEntity(u, types) {
    const { rng } = u;
    const typed = u.uids.filter((x) => types.includes(x.type));
    return rng.chance(0.85) && typed.length ? rng.pick(typed) : pickEntity(u);
}

function principalOrResource(u) {
    const { rng } = u;
    const e = () => scopeEntity(u, u.types);
    return rng.weighted([
        [5, () => ({ op: 'all' })],
        [2, () => ({ op: '==', e: e() })],
        [2, () => ({ op: 'in', e: e() })],
        [2, () => ({ op: 'is', type: rng.pick(u.types) })],
        [1, () => ({ op: 'is', type: rng.pick(u.types), in: e() })],
    ])();
}

function actionScope(u) {
    const { rng } = u;
    const a = () => (rng.chance(0.995) ? rng.pick(u.actions) : pickEntity(u));
    return rng.weighted([
        [4, () => ({ op: 'all' })],
        [3, () => ({ op: '==', e: a() })],
        [2, () => ({ op: 'in', e: a() })],
        [2, () => ({ op: 'in', list: Array.from({ length: rng.int(3) + (rng.chance(0.95) ? 1 : 0) }, a) })],
    ])();
}

const ANNOTATIONS = [['id', 'p'], ['advice', 'no'], ['x', null], ['a', '\u{1f980}']];

/* Some annotations; now and then a repeated key, which Cedar must refuse. */
function annotations(rng) {
    if (!rng.chance(0.2)) return [];
    const anns = rng.subset(ANNOTATIONS, 0.3);
    if (anns.length && rng.chance(0.02)) anns.push(rng.pick(anns));
    return anns;
}

function makePolicy(u) {
    const { rng } = u;
    const conds = Array.from({ length: rng.weighted([[2, 0], [4, 1], [2, 2], [1, 3]]) }, () => ({
        kind: rng.chance(0.75) ? 'when' : 'unless',
        body: gx(u, 'Bool', rng.range(0, u.maxDepth)),
    }));
    return {
        effect: rng.chance(0.65) ? 'permit' : 'forbid',
        annotations: annotations(rng),
        principal: principalOrResource(u),
        action: actionScope(u),
        resource: principalOrResource(u),
        conds,
    };
}

/* ------------------------------------------------------------- printing */

function euidText(uid, pr) {
    return `${uid.type}::${quote(uid.id, pr.esc)}`;
}

/* Cedar precedence: if 0, || 1, && 2, relations 3, + - 4, * 5, unary 6, member 7. */
const BIN_PREC = { '||': 1, '&&': 2, '==': 3, '!=': 3, '<': 3, '<=': 3, '>': 3, '>=': 3,
    in: 3, '+': 4, '-': 4, '*': 5 };

function printExpr(n, pr, min) {
    const [text, prec] = exprText(n, pr);
    return prec < min ? `(${text})` : text;
}

/* [text, precedence] of node n; operands printed at the levels the grammar allows. */
function exprText(n, pr) {
    const sub = (x, m) => printExpr(x, pr, m);
    const args = (xs) => xs.map((x) => sub(x, 0)).join(', ');
    switch (n.k) {
    case 'lit':
        if (typeof n.v === 'bigint') return [n.v.toString(), n.v < 0n ? 6 : 7];
        if (typeof n.v === 'string') return [quote(n.v, pr.esc), 7];
        return [String(n.v), 7];
    case 'var': return [n.n, 7];
    case 'euid': return [euidText(n.uid, pr), 7];
    case 'set': return [`[${args(n.elems)}]`, 7];
    case 'rec': return [`{${n.pairs.map(([k, v]) => `${isIdent(k) ? k : quote(k, pr.esc)}: ${sub(v, 0)}`).join(', ')}}`, 7];
    case 'ext': return [`${n.fn}(${args(n.args)})`, 7];
    case 'not': return ['!' + sub(n.a, 6), 6];
    case 'neg': return ['-' + sub(n.a, 6), 6];
    case 'bin': {
        const p = BIN_PREC[n.op];
        const [lm, rm] = p === 3 ? [4, 4] : [p, p + 1]; // relations do not chain
        return [`${sub(n.l, lm)} ${n.op} ${sub(n.r, rm)}`, p];
    }
    case 'has': return [`${sub(n.a, 4)} has ${isIdent(n.attr) ? n.attr : quote(n.attr, pr.esc)}`, 3];
    case 'like': return [`${sub(n.a, 4)} like ${patternText(n.pat, pr)}`, 3];
    case 'is': return [`${sub(n.a, 4)} is ${n.type}${n.in ? ' in ' + sub(n.in, 4) : ''}`, 3];
    case 'attr': return [sub(n.a, 7) + (isIdent(n.attr) ? `.${n.attr}` : `[${quote(n.attr, pr.esc)}]`), 7];
    case 'call': return [`${sub(n.a, 7)}.${n.m}(${args(n.args)})`, 7];
    case 'if': return [`if ${sub(n.c, 0)} then ${sub(n.t, 0)} else ${sub(n.e, 0)}`, 0];
    default: throw new Error(`gen: unknown node kind ${n.k}`);
    }
}

function patternText(pat, pr) {
    return `"${pat.map((el) => (el === '*' ? '*' : quoteBody(el.lit, pr.esc, true))).join('')}"`;
}

function scopeText(name, s, pr) {
    switch (s.op) {
    case 'all': return name;
    case '==': return `${name} == ${euidText(s.e, pr)}`;
    case 'in': return s.list ? `${name} in [${s.list.map((e) => euidText(e, pr)).join(', ')}]`
        : `${name} in ${euidText(s.e, pr)}`;
    case 'is': return `${name} is ${s.type}${s.in ? ` in ${euidText(s.in, pr)}` : ''}`;
    default: throw new Error(`gen: unknown scope op ${s.op}`);
    }
}

function policyText(p, pr) {
    if (p.raw !== undefined) return p.raw;
    const ann = p.annotations.map(([k, v]) => `@${k}${v === null ? '' : `(${quote(v, pr.esc)})`}\n`).join('');
    const scope = [scopeText('principal', p.principal, pr), scopeText('action', p.action, pr),
        scopeText('resource', p.resource, pr)].join(', ');
    const conds = p.conds.map((c) => `\n  ${c.kind} { ${printExpr(c.body, pr, 0)} }`).join('');
    return `${ann}${p.effect} (${scope})${conds};`;
}

function printPolicies(c) {
    const pr = { esc: c.unicodeEscapes };
    return c.policies.map((p) => policyText(p, pr)).join('\n\n') + '\n';
}

/* ----------------------------------------------------------- mutations */

const JUNK = [')', '(', ';', ',', '.', '"', '{', '}', '[', ']', '&&', '!', 'if', '::', '==', ' in '];

/*
 * Break one policy's text a little, to check that we refuse what the
 * reference refuses. Works on code points: cutting a surrogate pair in two
 * would make text that is not Unicode at all, which is not the question.
 */
function mutateText(rng, text) {
    const cps = Array.from(text);
    const at = rng.int(cps.length + 1);
    const edit = rng.weighted([
        [2, () => cps.splice(at, 1)],
        [2, () => cps.splice(at, 0, rng.pick(JUNK))],
        [1, () => cps.splice(at)],
    ]);
    edit();
    return cps.join('');
}

/* ----------------------------------------------------------------- cases */

/* Case number `index` of run `seed`: { policies (ASTs), entities, requests, ... }. */
function genCase(seed, index) {
    const rng = caseRng(seed, index);
    const u = makeUniverse(rng);
    const c = {
        seed, index,
        unicodeEscapes: u.unicodeEscapes,
        policies: Array.from({ length: rng.range(1, 6) }, () => makePolicy(u)),
    };
    if (u.withSchema) {
        schemaGen.addSchema(u);
        c.schema = schemaGen.schemaText(u);
        c.entities = schemaGen.schemaEntities(u);
        c.requests = schemaGen.schemaRequests(u);
    } else {
        c.entities = makeEntities(u);
        c.requests = makeRequests(u);
    }
    if (rng.chance(0.03)) {
        const p = rng.pick(c.policies);
        p.raw = mutateText(rng, policyText(p, { esc: c.unicodeEscapes }));
    }
    return c;
}

module.exports = { genCase, printPolicies };
