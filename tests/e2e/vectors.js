'use strict';
/*
 * vectors.js — replay the OpenID AuthZEN interop and certification vectors
 * (../shared/conformance/authzen, described in its README.md) against a
 * daemon serving the matching examples/authzen scenario.
 *
 * Interop files hold {request, expected} items: a single decision, a batch
 * (key "evaluations"), or a search whose endpoint follows from the request
 * (the part without an id, or without an action, is the one searched).
 * Search results are compared as sets, following every page. The
 * certification file carries its own match rules (see its match_semantics).
 */

const fs = require('fs');
const path = require('path');
const { show } = require('./tally');

/* Which example scenario serves which vector files. */
const SCENARIOS = [
    { scenario: 'todo', files: ['todo/decisions.json', 'todo/decisions-authorization-api-1_0-00.json',
        'todo/decisions-authorization-api-1_0-01.json', 'todo/decisions-authorization-api-1_0-02.json'] },
    { scenario: 'api-gateway', files: ['api-gateway/decisions.json'] },
    { scenario: 'search', files: ['search/subject-results.json', 'search/resource-results.json',
        'search/action-results.json', 'idp/results.json'] },
    { scenario: 'certification', certification: 'certification/cases.json' },
];

function deepEqual(a, b) {
    return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

/* Objects with sorted keys, so key order never matters. */
function canonical(v) {
    if (Array.isArray(v)) return v.map(canonical);
    if (v && typeof v === 'object') {
        const out = {};
        for (const k of Object.keys(v).sort()) out[k] = canonical(v[k]);
        return out;
    }
    return v;
}

function searchEndpoint(req) {
    if (!('action' in req)) return '/access/v1/search/action';
    if (req.subject && !('id' in req.subject)) return '/access/v1/search/subject';
    return '/access/v1/search/resource';
}

/* Every result of a search, following page.next_token; null on an HTTP error. */
async function searchAll(daemon, endpoint, req) {
    const results = [];
    let token = '';
    for (let pages = 0; pages < 1000; pages++) {
        const body = token ? Object.assign({}, req, { page: { token } }) : req;
        const res = await daemon.request({ path: endpoint, body });
        if (res.status !== 200 || !res.json || !Array.isArray(res.json.results)) return { res };
        results.push(...res.json.results);
        token = res.json.page && res.json.page.next_token;
        if (!token) return { results };
    }
    return { results: null };
}

const resultKey = (r) => JSON.stringify(canonical(r));

async function replayItem(daemon, tally, suite, i, item, key) {
    const { request: req, expected } = item;
    const label = `#${i + 1} ${show(req)}`;
    if (key === 'evaluations') {
        const res = await daemon.request({ path: '/access/v1/evaluations', body: req });
        const got = res.json && res.json.evaluations && res.json.evaluations.map((e) => ({ decision: e.decision }));
        return tally.check(suite, label, res.status === 200 && deepEqual(got, expected),
            `expected ${show(expected)}\ngot ${res.status} ${res.text}`);
    }
    if (expected && typeof expected === 'object' && 'results' in expected) {
        const endpoint = searchEndpoint(req);
        const { res, results } = await searchAll(daemon, endpoint, req);
        const want = expected.results.map(resultKey).sort(), got = results && results.map(resultKey).sort();
        return tally.check(suite, `${endpoint} ${label}`, deepEqual(got, want),
            `expected ${show(want)}\ngot ${res ? res.status + ' ' + res.text : show(got)}`);
    }
    const res = await daemon.request({ path: '/access/v1/evaluation', body: req });
    return tally.check(suite, label, res.status === 200 && res.json && res.json.decision === expected,
        `expected decision ${expected}\ngot ${res.status} ${res.text}`);
}

async function replayFile(daemon, tally, file) {
    const data = JSON.parse(fs.readFileSync(file, 'utf8'));
    const suite = path.relative(path.dirname(path.dirname(file)), file);
    for (const key of Object.keys(data)) {
        for (let i = 0; i < data[key].length; i++) {
            await replayItem(daemon, tally, `${suite} (${key})`, i, data[key][i], key);
        }
    }
}

/* ---- certification --------------------------------------------------- */

function searchedType(c) {
    if (c.endpoint.endsWith('/subject')) return c.request.subject.type;
    if (c.endpoint.endsWith('/resource')) return c.request.resource.type;
    return null;
}

/* Does a response satisfy the case's match rule? Returns an error string or ''. */
function certMismatch(c, res) {
    const body = res.json, status = res.status;
    if (status !== c.expected_status) return `status ${status}, expected ${c.expected_status}`;
    for (const [h, v] of Object.entries(c.expected_headers || {})) {
        if (res.headers[h.toLowerCase()] !== v) return `header ${h} is ${res.headers[h.toLowerCase()]}, expected ${v}`;
    }
    switch (c.match) {
    case 'status':
        return '';
    case 'exact':
        if (!c.expected_body) return '';
        return Object.keys(c.expected_body).every((k) => body && deepEqual(body[k], c.expected_body[k]))
            ? '' : `body differs from ${show(c.expected_body)}`;
    case 'evaluations_decisions': {
        const got = body && body.evaluations && body.evaluations.map((e) => e.decision);
        return deepEqual(got, c.expected_body.evaluations.map((e) => e.decision)) ? '' : 'decisions differ';
    }
    case 'shape':
        if (c.expected_evaluations_count !== undefined) {
            const ev = body && body.evaluations;
            return Array.isArray(ev) && ev.length === c.expected_evaluations_count &&
                ev.every((e) => typeof e.decision === 'boolean') ? '' : 'not an evaluations array of the right length';
        }
        return body && Array.isArray(body.results) && (!body.page || typeof body.page.next_token === 'string')
            ? '' : 'not a results array with a string page.next_token';
    case 'results_superset': {
        const got = new Set((body && body.results || []).map(resultKey));
        const missing = c.expected_body.results.filter((r) => !got.has(resultKey(r)));
        const type = searchedType(c);
        const wrongType = type && (body.results || []).some((r) => r.type !== type);
        return missing.length ? `missing ${show(missing)}` : wrongType ? 'a result has the wrong type' : '';
    }
    case 'keys':
        return c.expected_required_keys.every((k) => body && k in body) ? '' : 'required keys missing';
    default:
        return `unknown match rule ${c.match}`;
    }
}

async function runCertCase(daemon, c, state) {
    let request = c.request;
    if (request && request.page && request.page.token && request.page.token.startsWith('<')) {
        if (!state.nextToken) return '';   /* only sent when the previous page had more */
        request = Object.assign({}, request, { page: { token: state.nextToken } });
    }
    const headers = Object.assign({}, c.request_headers || {});
    if (c.content_type) headers['Content-Type'] = c.content_type;
    else if ('raw_body' in c) headers['Content-Type'] = 'application/json';
    const opts = { method: c.method, path: c.endpoint, headers };
    if (c.method !== 'GET') opts.body = 'raw_body' in c ? c.raw_body : JSON.stringify(request);
    for (let n = 0; n < (c.repeat || 1); n++) {
        const res = await daemon.request(opts);
        if (c.request && c.request.page && c.request.page.limit) {
            state.nextToken = res.json && res.json.page && res.json.page.next_token;
        }
        const why = certMismatch(c, res);
        if (why) return `${why}\nsent ${show(opts.body)}\ngot ${res.status} ${res.text}`;
    }
    return '';
}

async function replayCertification(daemon, tally, file) {
    const data = JSON.parse(fs.readFileSync(file, 'utf8'));
    const state = {};
    for (const c of data.cases) {
        const why = await runCertCase(daemon, c, state);
        tally.check('certification/cases.json', `${c.id} ${c.label || c.title}`, !why, why);
    }
}

/* Replay every vector set against its scenario's daemon. */
async function run(ctx) {
    for (const s of SCENARIOS) {
        const conf = path.join(ctx.root, 'examples/authzen', s.scenario, 'portcullis.conf');
        let daemon;
        try {
            daemon = await ctx.start(conf);
            for (const f of s.files || []) await replayFile(daemon, ctx.tally, path.join(ctx.vectors, f));
            if (s.certification) await replayCertification(daemon, ctx.tally, path.join(ctx.vectors, s.certification));
        } catch (e) {
            ctx.tally.broken(`vectors ${s.scenario}`, e);
        } finally {
            if (daemon) {
                const status = await daemon.stop();
                ctx.tally.check(`vectors ${s.scenario}`, 'daemon stops cleanly on SIGTERM',
                    status.code === 0, `exit ${show(status)}\n${daemon.log()}`);
            }
        }
    }
}

module.exports = { run, deepEqual };
