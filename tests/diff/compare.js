'use strict';
/*
 * compare.js — does our answer to a case match the reference's?
 *
 * What must match, as in Cedar's own conformance harness: the decision, the
 * determining policies and the erroring policies (both as sets of ids; error
 * messages are free). A policy or entity set the reference refuses, we must
 * refuse (exit 2), and a request it cannot evaluate (bad context, unknown
 * extension value, ...) we must answer with a deny carrying an "error".
 *
 * A difference has a `kind`; the shrinker keeps a smaller case only while
 * the difference keeps the same kind, so it cannot wander off to another bug.
 */

const ids = (a) => [...new Set(a)].sort();
const sameSet = (a, b) => JSON.stringify(ids(a)) === JSON.stringify(ids(b));

/* Why answer `a` is not in the CLI's documented shape, or null. */
function badShape(a) {
    if (a === null || typeof a !== 'object') return 'not an object';
    if (a.decision !== 'allow' && a.decision !== 'deny') return 'decision is not "allow" or "deny"';
    if (!Array.isArray(a.reasons) || a.reasons.some((r) => typeof r !== 'string'))
        return 'reasons is not an array of ids';
    if (!Array.isArray(a.errors) || a.errors.some((e) => !e || typeof e.policy !== 'string'))
        return 'errors is not an array of {policy, message}';
    if (a.error !== undefined && typeof a.error !== 'string') return 'error is not a string';
    return null;
}

/* The first difference between reference answer r and ours o for one request. */
function compareAnswer(r, o) {
    const shape = badShape(o);
    if (shape) return { kind: 'shape', detail: shape };
    if (r.error !== undefined) {
        if (o.error === undefined || o.error === '' || o.decision !== 'deny')
            return { kind: 'request-accepted', detail: `reference cannot evaluate the request: ${r.error}` };
        return null;
    }
    if (o.error !== undefined) return { kind: 'request-refused', detail: `we could not evaluate it: ${o.error}` };
    if (r.decision !== o.decision) return { kind: 'decision', detail: `${r.decision} expected, got ${o.decision}` };
    if (!sameSet(r.reasons, o.reasons)) return { kind: 'reasons', detail: 'determining policies differ' };
    const rerr = r.errors.map((e) => e.policy);
    const oerr = o.errors.map((e) => e.policy);
    if (!sameSet(rerr, oerr)) return { kind: 'errors', detail: 'erroring policies differ' };
    return null;
}

/*
 * The first difference between reference result `ref` and ours, or null.
 * A difference names the request it is about (when it is about one).
 */
function compare(ref, ours) {
    if (ours.fault) return { kind: 'fault', detail: `${ours.fault}\n${(ours.stderr || '').slice(0, 2000)}` };
    if (ref.refused) {
        if (ours.refused) return null;
        return { kind: `accepted-${ref.refused}`, detail: `reference refuses the ${ref.refused}: ${ref.message}` };
    }
    if (ours.refused) return { kind: 'refused', detail: `we refused the input: ${ours.message}` };
    for (let i = 0; i < ref.answers.length; i++) {
        const d = compareAnswer(ref.answers[i], ours.answers[i]);
        if (d) return Object.assign(d, { request: i });
    }
    return null;
}

module.exports = { compare };
