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
 *
 * Validation (compareValidation): only the outcome must match, "strict
 * validation reports at least one error", and a refusal of the schema or
 * policies with a refusal. One difference is known and excused, precisely:
 * cedar-wasm 4.13.0 reports "unable to find an applicable action given the
 * policy scope constraints" (InvalidActionApplication) as a warning, where
 * Cedar 4.10 to 4.12, the conformance corpus and we report an error. When the
 * reference finds no error, and our errors are all of that kind, on exactly
 * the policies the reference warns about so, the outcomes agree "through the
 * known 4.13 difference"; run.js counts those apart. Anything else differing
 * is a failure.
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

/* The known 4.13 difference: the reference's warning message, and our error kind for it. */
const KNOWN_413_MESSAGE = 'unable to find an applicable action given the policy scope constraints';
const KNOWN_413_KIND = 'invalid action application';

/* Why validation report `o` (exit status `code`) is not in the CLI's documented shape, or null. */
function badReport(code, o) {
    if (o === null || typeof o !== 'object' || typeof o.valid !== 'boolean') return 'valid is not a boolean';
    if (!Array.isArray(o.issues) || o.issues.some((i) => !i || typeof i.policy !== 'string'
        || typeof i.kind !== 'string' || typeof i.message !== 'string'
        || (i.severity !== 'error' && i.severity !== 'warning')))
        return 'issues is not an array of {policy, severity, kind, message}';
    const errors = o.issues.filter((i) => i.severity === 'error').length;
    if (o.errors !== errors) return `errors is ${o.errors}, but ${errors} issues are errors`;
    if (o.valid !== (errors === 0) || o.valid !== (code === 0))
        return `valid is ${o.valid} with ${errors} errors and exit status ${code}`;
    return null;
}

/* Do our errors `ours` (none of the reference's) come only from the known 4.13 difference? */
function onlyKnown413(ref, ours) {
    const warned = ref.warnings.filter((w) => w.message.includes(KNOWN_413_MESSAGE)).map((w) => w.policy);
    return warned.length > 0 && ours.every((e) => e.kind === KNOWN_413_KIND)
        && sameSet(warned, ours.map((e) => e.policy));
}

/*
 * Compare the reference's strict validation `ref` (ref.validate) with ours
 * (cli.validate). Returns { diff: null | { kind, detail }, known413: bool }.
 */
function compareValidation(ref, ours) {
    const differ = (kind, detail) => ({ diff: { kind, detail }, known413: false });
    if (ours.fault) return differ('validation-fault', `${ours.fault}\n${(ours.stderr || '').slice(0, 2000)}`);
    if (ref.refused) {
        if (ours.refused) return { diff: null, known413: false };
        return differ('validation-accepted', `reference refuses the input: ${ref.message}`);
    }
    if (ours.refused) return differ('validation-refused', `we refused the input: ${ours.message}`);
    const shape = badReport(ours.code, ours.report);
    if (shape) return differ('validation-shape', shape);
    const ourErrors = ours.report.issues.filter((i) => i.severity === 'error');
    const refInvalid = ref.errors.length > 0;
    if (refInvalid === (ourErrors.length > 0)) return { diff: null, known413: false };
    if (!refInvalid && onlyKnown413(ref, ourErrors)) return { diff: null, known413: true };
    return refInvalid
        ? differ('validation-missed', `reference finds ${ref.errors.length} errors, we find none`)
        : differ('validation-spurious', `reference finds no error, we find ${ourErrors.length}`);
}

module.exports = { compare, compareValidation };
