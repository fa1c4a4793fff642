'use strict';
/*
 * ref.js — the reference side: one test case evaluated by cedar-wasm 4.13.0.
 *
 * cedar-wasm's isAuthorized parses the policies and entities on every call
 * and reports any parse failure as a failure of the call. To tell a refused
 * policy set or entity set (our CLI must then refuse the whole run, exit 2)
 * from a refused request (our CLI answers that line with an "error"), the
 * policies and entities are first checked on their own; only then is each
 * request decided. Answers use the CLI's shape, with reasons and erroring
 * policy ids sorted, since Cedar compares them as sets.
 */

const cedar = require('@cedar-policy/cedar-wasm/nodejs');
const { installExactJson } = require('./json.js');

installExactJson(); // cedar-wasm hands its arguments over with JSON.stringify

const messages = (errors) => errors.map((e) => e.message).join('; ');

/* Decide one request; the answer has the CLI's JSON shape. */
function decide(call) {
    const r = cedar.isAuthorized(call);
    if (r.type !== 'success')
        return { decision: 'deny', reasons: [], errors: [], error: messages(r.errors) };
    const d = r.response.diagnostics;
    return {
        decision: r.response.decision,
        reasons: [...d.reason].sort(),
        errors: d.errors.map((e) => ({ policy: e.policyId, message: e.error.message }))
            .sort((a, b) => (a.policy < b.policy ? -1 : a.policy > b.policy ? 1 : 0)),
    };
}

/*
 * Evaluate case c whose policy text is `text`:
 *   { refused: 'policies' | 'entities' | 'input', message }   when the reference refuses, or
 *   { answers: [answer per request] }.
 */
function evaluate(c, text) {
    try {
        return evaluateOrThrow(c, text);
    } catch (e) {
        // The glue throws where Rust gave up on an argument it could not take at all.
        return { refused: 'input', message: `the reference threw: ${e.message}` };
    }
}

function evaluateOrThrow(c, text) {
    const policies = { staticPolicies: text };
    const schema = c.schema; // Cedar schema text, or undefined
    let r = cedar.checkParsePolicySet(policies);
    if (r.type !== 'success') return { refused: 'policies', message: messages(r.errors) };
    r = cedar.checkParseEntities({ entities: c.entities, schema });
    if (r.type !== 'success') return { refused: 'entities', message: messages(r.errors) };
    const answers = c.requests.map((q) => decide({
        principal: q.principal, action: q.action, resource: q.resource, context: q.context,
        policies, entities: c.entities, schema, validateRequest: schema !== undefined,
    }));
    return { answers };
}

/* One validation issue of the reference: its policy and its message, with the help text if any. */
const issue = (v) => ({ policy: v.policyId,
    message: v.error.help ? `${v.error.message} (${v.error.help})` : v.error.message });

/*
 * Strictly validate policy text `text` against Cedar schema text `schema`:
 *   { refused: 'input', message }            when the schema or policies do not parse, or
 *   { errors: [issue], warnings: [issue] }   each issue { policy, message }.
 */
function validate(schema, text) {
    try {
        const r = cedar.validate({ validationSettings: { mode: 'strict' }, schema,
            policies: { staticPolicies: text } });
        if (r.type !== 'success') return { refused: 'input', message: messages(r.errors) };
        return { errors: r.validationErrors.map(issue), warnings: r.validationWarnings.map(issue) };
    } catch (e) {
        return { refused: 'input', message: `the reference threw: ${e.message}` };
    }
}

module.exports = { evaluate, validate, version: cedar.getCedarVersion() };
