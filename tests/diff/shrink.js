'use strict';
/*
 * shrink.js — make a failing case as small as it can be while it still fails.
 *
 * Greedy, one step at a time: list every "one thing smaller" variant of the
 * case (drop a request, a policy, an entity, a parent, an attribute, a tag, a
 * context entry, a condition or an annotation; widen a scope; replace an
 * expression node by one of its children or by a literal), try them in that
 * order, and take the first that still shows a difference of the same kind.
 * Repeat until no variant fails or the budget runs out. Variants are built as
 * fresh copies; the case being shrunk is never modified.
 *
 * A validation difference depends only on the policies and the schema, so it
 * is shrunk over the policies alone (dropped, then simplified as above): the
 * requests and entities, which validation never reads, stay as they are.
 */

const clone = (x) => structuredClone(x);

/* Each child slot of an expression node: its value and how to rebuild the node with another. */
function slots(n) {
    const out = [];
    const field = (key) => {
        if (n[key]) out.push({ get: n[key], put: (x) => Object.assign({}, n, { [key]: x }) });
    };
    const list = (key) => n[key].forEach((child, i) => out.push({
        get: child, put: (x) => Object.assign({}, n, { [key]: n[key].map((c, j) => (j === i ? x : c)) }),
    }));
    ['a', 'l', 'r', 'c', 't', 'e', 'in'].forEach(field);
    if (n.elems) list('elems');
    if (n.args) list('args');
    if (n.pairs) n.pairs.forEach(([k, v], i) => out.push({
        get: v, put: (x) => Object.assign({}, n, { pairs: n.pairs.map((p, j) => (j === i ? [k, x] : p)) }),
    }));
    return out;
}

const LEAVES = [{ k: 'lit', v: true }, { k: 'lit', v: false }, { k: 'lit', v: 1n }, { k: 'lit', v: '' }];

/* Every expression one step simpler than n: a child in its place, a literal, or a simpler child. */
function simpler(n) {
    const out = [];
    const subs = slots(n);
    for (const s of subs) out.push(s.get);
    if (n.k !== 'lit') out.push(...LEAVES);
    if (n.elems && n.elems.length) out.push(Object.assign({}, n, { elems: n.elems.slice(1) }));
    if (n.pairs && n.pairs.length) out.push(Object.assign({}, n, { pairs: n.pairs.slice(1) }));
    for (const s of subs) for (const x of simpler(s.get)) out.push(s.put(x));
    return out;
}

/* All variants of list `a` with one element dropped. */
function dropOne(a) {
    return a.map((_, i) => a.filter((__, j) => j !== i));
}

/* Halves of a long list first (big steps are cheap when they work), then single drops. */
function dropSome(a) {
    const half = a.length >> 1;
    const halves = a.length >= 4 ? [a.slice(half), a.slice(0, half)] : [];
    return halves.concat(dropOne(a));
}

function dropKey(obj) {
    return Object.keys(obj).map((k) => {
        const o = Object.assign({}, obj);
        delete o[k];
        return o;
    });
}

/* A copy of case c with field `key` set to (a copy of) v. */
const withField = (c, key, v) => Object.assign(clone(c), { [key]: clone(v) });

/* Variants of case c, cheapest and most reducing first (a generator: built lazily). */
function* variants(c) {
    if (c.requests.length > 1) for (const q of c.requests) yield withField(c, 'requests', [q]);
    yield* policyDrops(c);
    for (const e of dropSome(c.entities)) yield withField(c, 'entities', e);
    for (let i = 0; i < c.requests.length; i++)
        for (const ctx of dropKey(c.requests[i].context)) {
            const v = clone(c);
            v.requests[i].context = ctx;
            yield v;
        }
    for (let i = 0; i < c.entities.length; i++) yield* entityVariants(c, i);
    for (let i = 0; i < c.policies.length; i++) yield* policyVariants(c, i);
}

function* policyDrops(c) {
    if (c.policies.length > 1)
        for (const p of dropSome(c.policies)) yield withField(c, 'policies', p);
}

/* Variants of case c that change only its policies, for a validation difference. */
function* policyOnlyVariants(c) {
    yield* policyDrops(c);
    for (let i = 0; i < c.policies.length; i++) yield* policyVariants(c, i);
}

function* entityVariants(c, i) {
    const e = c.entities[i];
    const edit = (f) => { const v = clone(c); f(v.entities[i]); return v; };
    for (const ps of dropOne(e.parents)) yield edit((x) => { x.parents = ps; });
    for (const as of dropKey(e.attrs)) yield edit((x) => { x.attrs = as; });
    if (e.tags) yield edit((x) => { delete x.tags; });
    for (const k of Object.keys(e.attrs)) {
        const val = e.attrs[k];
        if (Array.isArray(val) && val.length) yield edit((x) => { x.attrs[k] = []; });
        else if (val && typeof val === 'object' && !val.__entity && !val.__extn && Object.keys(val).length)
            yield edit((x) => { x.attrs[k] = {}; });
    }
}

function* policyVariants(c, i) {
    const p = c.policies[i];
    const edit = (f) => { const v = clone(c); f(v.policies[i]); return v; };
    if (p.raw !== undefined) return; // a syntax mutation: only whole-policy drops apply
    for (const conds of dropOne(p.conds)) yield edit((x) => { x.conds = conds; });
    for (const anns of dropOne(p.annotations)) yield edit((x) => { x.annotations = anns; });
    for (const part of ['principal', 'action', 'resource'])
        if (p[part].op !== 'all') yield edit((x) => { x[part] = { op: 'all' }; });
    for (let j = 0; j < p.conds.length; j++)
        for (const body of simpler(p.conds[j].body))
            yield edit((x) => { x.conds[j].body = clone(body); });
}

/*
 * Shrink case c. check(case) resolves to the case's difference or null;
 * `kind` is the kind to keep. Stops after `maxSteps` checks or at `deadline`
 * (ms since the epoch). With `policiesOnly`, only the policies change (for a
 * validation difference). Resolves to { case, diff, steps }.
 */
async function shrink(c, diff, check, maxSteps, deadline, policiesOnly = false) {
    const next = policiesOnly ? policyOnlyVariants : variants;
    let best = c, bestDiff = diff, steps = 0, progress = true;
    while (progress && steps < maxSteps && Date.now() < deadline) {
        progress = false;
        for (const v of next(best)) {
            if (steps >= maxSteps || Date.now() >= deadline) break;
            steps++;
            const d = await check(v);
            if (d && d.kind === diff.kind) {
                best = v;
                bestDiff = d;
                progress = true;
                break;
            }
        }
    }
    return { case: best, diff: bestDiff, steps };
}

module.exports = { shrink };
