'use strict';
/*
 * badinput.js — hostile and malformed requests. Each row says what is sent
 * and what must come back: the status, a word the JSON error must contain,
 * and for batches the per-item decisions. Every answer must carry a decision
 * id and must never be an allow; the daemon must still be healthy at the end.
 */

const path = require('path');
const { show } = require('./tally');

const ALICE_READ = {
    subject: { type: 'user', id: 'alice' },
    action: { name: 'read' },
    resource: { type: 'record', id: 'record-1' },
};
const with_ = (patch) => Object.assign({}, ALICE_READ, patch);
const EVAL = '/access/v1/evaluation';
const nest = (n) => '['.repeat(n) + ']'.repeat(n);

/* The table. status: expected HTTP status; error: a fragment of the JSON error. */
const ROWS = [
    { name: 'wrong content type', body: ALICE_READ, headers: { 'Content-Type': 'text/plain' }, status: 400, error: 'Content-Type' },
    { name: 'content type with charset is fine', body: ALICE_READ, headers: { 'Content-Type': 'application/json; charset=utf-8' }, status: 200, decision: true },
    { name: 'malformed JSON', body: '{"subject": {"type": "user", "id": "alice"},', status: 400, error: 'malformed JSON' },
    { name: 'empty body', body: '', status: 400, error: 'empty' },
    { name: 'body is an array', body: '[]', status: 400, error: 'JSON object' },
    { name: 'body is a string', body: '"allow"', status: 400, error: 'JSON object' },
    { name: 'invalid UTF-8', body: Buffer.from('{"subject":{"type":"user","id":"\xff"}}', 'latin1').toString('latin1'), status: 400 },
    { name: 'subject is a string', body: with_({ subject: 'alice' }), status: 400, error: 'subject must be an object' },
    { name: 'subject.id is a number', body: with_({ subject: { type: 'user', id: 7 } }), status: 400, error: 'subject.id' },
    { name: 'subject.type is empty', body: with_({ subject: { type: '', id: 'alice' } }), status: 400, error: 'subject.type' },
    { name: 'action.name is a number', body: with_({ action: { name: 123 } }), status: 400, error: 'action.name' },
    { name: 'action is null', body: with_({ action: null }), status: 400, error: 'action' },
    { name: 'resource.properties is a string', body: with_({ resource: { type: 'record', id: 'record-1', properties: 'x' } }), status: 400, error: 'resource.properties' },
    { name: 'context is an array', body: with_({ context: [] }), status: 400, error: 'context must be an object' },
    { name: 'property of the wrong type is a deny', body: with_({ subject: { type: 'user', id: 'alice', properties: { role: 5 } } }), status: 200, decision: false },
    { name: 'NUL inside an id is a deny', body: with_({ subject: { type: 'user', id: 'al\u0000ice' } }), status: 200, decision: false },
    { name: 'unknown action is a deny', body: with_({ action: { name: 'launch' } }), status: 200, decision: false },
    { name: 'nesting 200 deep', body: `{"subject": ${nest(200)}}`, status: 400, error: 'nested deeper' },
    { name: 'nesting 100 deep is only a wrong type', body: `{"subject": ${nest(100)}}`, status: 400, error: 'subject must be an object' },
    { name: 'oversized body (Content-Length), refused before it is sent', body: JSON.stringify(with_({ context: { pad: 'x'.repeat(2 << 20) } })), expectContinue: true, status: 400, error: 'exceeds' },
    { name: 'oversized body (chunked)', body: JSON.stringify(with_({ context: { pad: 'x'.repeat(2 << 20) } })), chunked: true, status: 400, error: 'exceeds' },
    { name: 'evaluations is an object', path: '/access/v1/evaluations', body: with_({ evaluations: {} }), status: 400, error: 'evaluations must be an array' },
    { name: 'unknown evaluations_semantic', path: '/access/v1/evaluations', body: with_({ evaluations: [{}], options: { evaluations_semantic: 'all' } }), status: 400, error: 'evaluations_semantic' },
    { name: 'invalid batch items are false', path: '/access/v1/evaluations', body: with_({ evaluations: [{}, 'x', { subject: 1 }, { action: {} }] }), status: 200, decisions: [true, false, false, false] },
    { name: 'deny_on_first_deny stops at the deny', path: '/access/v1/evaluations', body: { subject: { type: 'user', id: 'bob' }, resource: { type: 'record', id: 'record-1' }, options: { evaluations_semantic: 'deny_on_first_deny' }, evaluations: [{ action: { name: 'read' } }, { action: { name: 'write' } }, { action: { name: 'read' } }] }, status: 200, decisions: [true, false] },
    { name: 'permit_on_first_permit stops at the permit', path: '/access/v1/evaluations', body: { subject: { type: 'user', id: 'bob' }, resource: { type: 'record', id: 'record-1' }, options: { evaluations_semantic: 'permit_on_first_permit' }, evaluations: [{ action: { name: 'write' } }, { action: { name: 'read' } }, { action: { name: 'write' } }] }, status: 200, decisions: [false, true] },
    { name: 'search page.limit 0', path: '/access/v1/search/resource', body: { subject: { type: 'user', id: 'alice' }, action: { name: 'read' }, resource: { type: 'record' }, page: { limit: 0 } }, status: 400, error: 'page.limit' },
    { name: 'search page.token forged', path: '/access/v1/search/resource', body: { subject: { type: 'user', id: 'alice' }, action: { name: 'read' }, resource: { type: 'record' }, page: { token: 'x1' } }, status: 400, error: 'page.token' },
    { name: 'native: Cedar-syntax uids', path: '/v1/authorize', body: { principal: 'User::"alice"', action: 'Action::"read"', resource: 'Record::"record-1"' }, status: 200, nativeDecision: 'allow' },
    { name: 'native: principal missing', path: '/v1/authorize', body: { action: { type: 'Action', id: 'read' }, resource: { type: 'Record', id: 'record-1' } }, status: 400, error: 'principal' },
    { name: 'native: entities not an array', path: '/v1/authorize', body: { principal: { type: 'User', id: 'alice' }, action: { type: 'Action', id: 'read' }, resource: { type: 'Record', id: 'record-1' }, entities: {} }, status: 400, error: 'entities' },
    { name: 'native: bad request entity is a deny', path: '/v1/authorize', body: { principal: { type: 'User', id: 'alice' }, action: { type: 'Action', id: 'read' }, resource: { type: 'Record', id: 'record-1' }, entities: [{ uid: { type: 'User', id: 'alice' }, attrs: { role: [] }, parents: [] }] }, status: 200, native: 'deny' },
    { name: 'native: batch item invalid', path: '/v1/authorize/batch', body: { requests: [{ principal: { type: 'User', id: 'alice' }, action: { type: 'Action', id: 'read' }, resource: { type: 'Record', id: 'record-1' } }, 7] }, status: 200, nativeBatch: ['allow', 'deny'] },
    { name: 'unknown endpoint', path: '/access/v2/evaluation', body: ALICE_READ, status: 404, error: 'no such endpoint' },
    { name: 'wrong method', method: 'GET', path: EVAL, status: 405, error: 'not allowed' },
];

/* Everything wrong with one answer, as text ('' when it is right). */
function mismatch(row, res) {
    const j = res.json;
    const problems = [];
    if (res.status !== row.status) problems.push(`status ${res.status}, expected ${row.status}`);
    if (!/^[0-9a-f]{32}$/.test(res.headers['x-decision-id'] || '')) problems.push('no X-Decision-ID');
    if (row.error && !(j && typeof j.error === 'string' && j.error.includes(row.error))) {
        problems.push(`error should mention "${row.error}"`);
    }
    if ('decision' in row && !(j && j.decision === row.decision)) problems.push(`decision should be ${row.decision}`);
    if (row.decisions && !(j && JSON.stringify((j.evaluations || []).map((e) => e.decision)) === JSON.stringify(row.decisions))) {
        problems.push(`decisions should be ${show(row.decisions)}`);
    }
    if (row.native && !(j && j.decision === row.native && j.error)) problems.push(`native decision should be ${row.native} with an error`);
    if (row.nativeDecision && !(j && j.decision === row.nativeDecision && /^[0-9a-f]{64}$/.test(j.policy_set_version))) {
        problems.push(`native decision should be ${row.nativeDecision}, with the set version`);
    }
    if (row.nativeBatch && !(j && JSON.stringify(j.results.map((r) => r.decision)) === JSON.stringify(row.nativeBatch))) {
        problems.push(`native decisions should be ${show(row.nativeBatch)}`);
    }
    if (res.status !== 200 && j && (j.decision === true || j.decision === 'allow')) problems.push('an error answer carries an allow');
    return problems.join('; ');
}

async function send(daemon, row) {
    const headers = Object.assign({}, row.headers || {});
    if (row.chunked) {   /* no Content-Length: the bound must hold while reading */
        return daemon.request({ path: row.path || EVAL, body: row.body, headers: Object.assign(headers, { 'Transfer-Encoding': 'chunked' }), chunked: true });
    }
    return daemon.request({ method: row.method, path: row.path || EVAL, body: row.body, headers,
        expectContinue: row.expectContinue });
}

async function run(ctx) {
    const suite = 'bad input';
    const conf = path.join(ctx.root, 'examples/authzen/certification/portcullis.conf');
    let daemon;
    try {
        daemon = await ctx.start(conf);
        for (const row of ROWS) {
            const res = await send(daemon, row).catch((e) => ({ status: 0, headers: {}, text: String(e) }));
            const why = mismatch(row, res);
            ctx.tally.check(suite, row.name, !why, `${why}\ngot ${res.status} ${show(res.text)}`);
        }
        const health = await daemon.request({ path: '/healthz' });
        ctx.tally.check(suite, 'daemon healthy after the table', health.status === 200, health.text);
        const metrics = await daemon.request({ path: '/metrics' });
        const bad = /portcullis_bad_requests_total (\d+)/.exec(metrics.text);
        ctx.tally.check(suite, '/metrics counts bad requests', bad && Number(bad[1]) >= 20, show(metrics.text));
    } catch (e) {
        ctx.tally.broken(suite, e);
    } finally {
        if (daemon) await daemon.stop();
    }
}

module.exports = { run };
