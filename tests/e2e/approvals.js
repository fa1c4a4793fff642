'use strict';
/*
 * approvals.js — human approval as step-up through the daemon
 * (server/stepup.c): an allow determined by an @approval policy is
 * "approval_required" with a pending request id; once a human approves it
 * with the real CLI (`portcullis approvals approve ... --admin`), a retry
 * presenting the id is allowed, exactly once. The decision log records the
 * approval_required answer. Without approvals.db such an allow is a deny.
 *
 * The HTTP API (server/approvals.c): approvers list and decide with a bearer
 * token; who may decide is the serving policy set's answer to "may the
 * approver Action::\"approve\" Approval::\"ID\"", nobody decides their own
 * request, a decided or expired request is 409, and every verdict is in the
 * decision log. And the log's context options: audit.keep_context stores
 * the context with audit.redact's members replaced; without it, only the
 * digest is kept.
 */

const { spawnSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { show } = require('./tally');
const { makeKeys, sign, ISS, AUD } = require('./identity');

const POLICIES = [
    '@approval("ops") permit (principal == User::"alice", action == Action::"deploy", resource);',
    'permit (principal == User::"alice", action == Action::"read", resource);',
    '',
].join('\n');

const uid = (type, id) => ({ type, id });
const ask = (action, extra = {}) => Object.assign({ principal: uid('User', 'alice'),
    action: uid('Action', action), resource: uid('Svc', 'api'), context: { change: 'CHG-1' } }, extra);

/* Ops members may decide requests that ask for "ops"; alice is one too, so only the
 * self-approval rule, not the policy, can stop her deciding her own. */
const API_POLICIES = POLICIES + [
    'permit (principal in Group::"ops", action == Action::"approve", resource)',
    '  when { context.groups.contains("ops") };',
    '',
].join('\n');
const member = (id, groups) => ({ uid: uid('User', id), attrs: {}, parents: groups.map((g) => uid('Group', g)) });

function scratch(withStore, extraConf = [], policies = POLICIES, ttl = 600) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'portcullis-e2e-approvals-'));
    fs.writeFileSync(path.join(dir, 'policies.cedar'), policies);
    fs.writeFileSync(path.join(dir, 'entities.json'), JSON.stringify(['api', 'web'].map((id) =>
        ({ uid: uid('Svc', id), attrs: {}, parents: [] })).concat(
        [member('alice', ['ops']), member('bob', ['ops']), member('mallory', [])])));
    fs.writeFileSync(path.join(dir, 'portcullis.conf'), ['policy_dir = .', 'reload_poll_ms = 0',
        'entities = entities.json',
        'audit.db = log.db', 'audit.mode = sync',
        ...(withStore ? ['approvals.db = approvals.db', `approvals.ttl = ${ttl}`] : []),
        ...extraConf, ''].join('\n'));
    return dir;
}

async function stepUp(ctx, t) {
    const dir = scratch(true);
    const daemon = await ctx.start(path.join(dir, 'portcullis.conf'));
    const authorize = async (body) => (await daemon.request({ path: '/v1/authorize', body })).json;
    try {
        let r = await authorize(ask('deploy'));
        const id = r.approval_id;
        t('an @approval allow is approval_required with a request id', r.decision === 'approval_required' &&
            typeof id === 'string' && id.length > 0 && r.expires_at > Date.now() / 1000, show(r));
        r = await authorize(ask('deploy'));
        t('asking again finds the same pending request', r.decision === 'approval_required' &&
            r.approval_id === id, show(r));
        r = await authorize(ask('deploy', { approval_id: id }));
        t('presenting the id before anyone approved: still approval_required',
            r.decision === 'approval_required', show(r));
        r = await authorize(ask('read'));
        t('an allow without @approval is unaffected', r.decision === 'allow' && !('approval_id' in r), show(r));

        const cli = spawnSync(ctx.bin, ['approvals', 'approve', id, '--reason', 'change window',
            '--db', path.join(dir, 'approvals.db'), '--as', 'User::"bob"', '--admin'], { encoding: 'utf8' });
        t('a human approves it with the CLI', cli.status === 0, cli.stdout + cli.stderr);
        r = await authorize(ask('deploy', { approval_id: id, context: { change: 'CHG-2' } }));
        t('the approval is bound to the context: another one is not allowed',
            r.decision === 'approval_required' && r.approval_id !== id, show(r));
        r = await authorize(ask('deploy', { approval_id: id }));
        t('retrying with the approved id: allowed, the approval consumed', r.decision === 'allow' &&
            r.approval_id === id, show(r));
        r = await authorize(ask('deploy', { approval_id: id }));
        t('the same approval does not allow twice', r.decision === 'approval_required' &&
            r.approval_id !== id, show(r));
    } finally {
        const st = await daemon.stop();
        t('the daemon stops cleanly', st.code === 0, daemon.log());
    }
    const q = spawnSync(ctx.bin, ['audit', 'query', '--db', path.join(dir, 'log.db'), '--json'], { encoding: 'utf8' });
    const rows = q.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l));
    const kinds = rows.map((row) => row.decision).join(',');
    t('the log records each answer, approval_required included', kinds ===
        'approval_required,approval_required,approval_required,allow,approval_required,allow,approval_required',
    kinds + q.stderr);
    t('... with the approval ids', rows.every((row) => row.action !== 'Action::"deploy"' || row.approval_id),
        show(rows));
    fs.rmSync(dir, { recursive: true, force: true });
}

const azDeploy = { subject: { type: 'user', id: 'alice' }, action: { name: 'deploy' },
    resource: { type: 'svc', id: 'api' }, context: { change: 'CHG-9' } };

async function authzen(ctx, t) {
    const dir = scratch(true);
    const daemon = await ctx.start(path.join(dir, 'portcullis.conf'));
    const evaluate = async (id) => (await daemon.request({ path: '/access/v1/evaluation', body: azDeploy,
        headers: id ? { 'X-Approval-Id': id } : {} })).json;
    try {
        let r = await evaluate();
        const req = r.context && r.context.access_request;
        t('AuthZEN: an @approval allow is false with context.access_request', r.decision === false &&
            req && typeof req.approval_id === 'string' && req.expires_at > 0, show(r));
        if (!req) return;
        const cli = spawnSync(ctx.bin, ['approvals', 'approve', req.approval_id, '--reason', 'ok',
            '--db', path.join(dir, 'approvals.db'), '--as', 'User::"bob"', '--admin'], { encoding: 'utf8' });
        t('AuthZEN: approved with the CLI', cli.status === 0, cli.stdout + cli.stderr);
        r = await evaluate(req.approval_id);
        t('AuthZEN: retrying with X-Approval-Id is true', r.decision === true && !r.context, show(r));
        r = await evaluate(req.approval_id);
        t('AuthZEN: and only once', r.decision === false && r.context.access_request &&
            r.context.access_request.approval_id !== req.approval_id, show(r));
        const search = async (name) => (await daemon.request({ path: '/access/v1/search/resource',
            body: { subject: azDeploy.subject, action: { name }, resource: { type: 'svc' } } })).json;
        r = await search('read');
        t('AuthZEN search lists what is allowed', show(r.results) ===
            show([{ type: 'svc', id: 'api' }, { type: 'svc', id: 'web' }]), show(r));
        r = await search('deploy');
        t('... but not what is held for approval', r.results && r.results.length === 0 && !r.context, show(r));
    } finally {
        const st = await daemon.stop();
        t('the daemon stops cleanly', st.code === 0, daemon.log());
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

async function noStore(ctx, t) {
    const dir = scratch(false);
    const daemon = await ctx.start(path.join(dir, 'portcullis.conf'));
    try {
        const r = (await daemon.request({ path: '/v1/authorize', body: ask('deploy') })).json;
        t('without approvals.db an @approval allow is a deny saying why', r.decision === 'deny' &&
            /approvals\.db is not configured/.test(r.error), show(r));
    } finally {
        await daemon.stop();
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

/* A daemon trusting one issuer whose tokens name Users: the approvers' identities. */
function apiScratch(ttl = 600) {
    const { keys, jwks } = makeKeys('approvers');
    const dir = scratch(true, [`identity.issuer.ci.issuer = ${ISS}`, 'identity.issuer.ci.jwks_file = jwks.json',
        'identity.issuer.ci.algorithms = EdDSA', `identity.issuer.ci.audiences = ${AUD}`,
        'identity.issuer.ci.profile = custom', 'identity.issuer.ci.principal_type = User',
        'audit.keep_context = true'], API_POLICIES, ttl);
    fs.writeFileSync(path.join(dir, 'jwks.json'), JSON.stringify(jwks));
    return { dir, token: (sub) => sign(keys, { sub }) };
}

function apiClient(daemon, token) {
    const as = (who) => (who ? { Authorization: `Bearer ${token(who)}` } : {});
    return {
        list: (who, query = '') => daemon.request({ path: `/v1/approvals${query}`, headers: as(who) }),
        decide: (who, id, verb, body = { reason: 'change window CHG-1' }) =>
            daemon.request({ path: `/v1/approvals/${id}/${verb}`, body, headers: as(who) }),
    };
}

const says = (res, status, re) => res.status === status && res.json && re.test(res.json.error);

async function httpApi(ctx, t) {
    const { dir, token } = apiScratch();
    const daemon = await ctx.start(path.join(dir, 'portcullis.conf'));
    const authorize = async (body) => (await daemon.request({ path: '/v1/authorize', body })).json;
    const api = apiClient(daemon, token);
    let id = null, second = null;
    try {
        let r = await authorize(ask('deploy'));
        id = r.approval_id;
        t('API: the request waits for approval', r.decision === 'approval_required' && id, show(r));
        let res = await api.list(null);
        t('API: listing without a token is 401', says(res, 401, /no verified identity/) &&
            /Bearer/.test(res.headers['www-authenticate'] || ''), show(res.json));
        res = await api.list('bob');
        t('API: an approver lists the pending request', res.status === 200 &&
            res.json.approvals.length === 1 && res.json.approvals[0].id === id, show(res.json));
        res = await api.decide(null, id, 'approve');
        t('API: approving without a token is 401', says(res, 401, /no verified identity/), show(res.json));
        res = await daemon.request({ path: `/v1/approvals/${id}/approve`, body: { reason: 'x' },
            headers: { Authorization: 'Bearer not.a.token' } });
        t('API: a bad token is 401 with the identity reason', says(res, 401, /^identity: /), show(res.json));
        res = await api.decide('alice', id, 'approve');
        t('API: nobody approves their own request (403)', says(res, 403, /own request/), show(res.json));
        res = await api.decide('mallory', id, 'approve');
        t('API: a caller the policy does not allow is refused (403)',
            says(res, 403, /may not approve .*policy does not allow/), show(res.json));
        res = await api.decide('bob', id, 'approve', {});
        t('API: a reason is required (400)', says(res, 400, /reason.*required/), show(res.json));
        res = await api.decide('bob', 'no-such-id', 'approve');
        t('API: an unknown id is 404', says(res, 404, /no approval request/), show(res.json));
        res = await api.decide('bob', id, 'ratify');
        t('API: an unknown verb is 404', says(res, 404, /no such endpoint/), show(res.json));
        r = await authorize(ask('deploy', { approval_id: id }));
        t('API: refused attempts approved nothing', r.decision === 'approval_required', show(r));
        res = await api.decide('bob', id, 'approve');
        t('API: an allowed approver approves', res.status === 200 && res.json.status === 'approved' &&
            res.json.approver === 'User::"bob"', show(res.json));
        res = await api.decide('bob', id, 'deny');
        t('API: a decided request is 409', says(res, 409, /already approved/), show(res.json));
        r = await authorize(ask('deploy', { approval_id: id }));
        t('API: the retried request is allowed', r.decision === 'allow' && r.approval_id === id, show(r));
        r = await authorize(ask('deploy', { approval_id: id }));
        second = r.approval_id;
        t('API: ... once', r.decision === 'approval_required' && second && second !== id, show(r));
        res = await api.decide('bob', second, 'deny', { reason: 'not in the change window' });
        t('API: an approver denies', res.status === 200 && res.json.status === 'denied', show(res.json));
        res = await api.list('bob', '?state=denied');
        t('API: ?state= filters', res.status === 200 && show(res.json.approvals.map((a) => a.id)) ===
            show([second]), show(res.json));
        res = await api.list('bob');
        t('API: nothing is pending any more', res.status === 200 && res.json.approvals.length === 0,
            show(res.json));
        res = await api.list('bob', '?state=maybe');
        t('API: an unknown state is 400', says(res, 400, /unknown state/), show(res.json));
    } finally {
        const st = await daemon.stop();
        t('API: the daemon stops cleanly', st.code === 0, daemon.log());
    }
    const q = spawnSync(ctx.bin, ['audit', 'query', '--db', path.join(dir, 'log.db'), '--json'], { encoding: 'utf8' });
    const verdicts = q.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l))
        .filter((row) => row.action === 'Action::"approve"');
    const seen = verdicts.map((v) => `${v.principal} ${v.decision} ${v.context && v.context.verdict}`);
    t('API: every verdict is in the decision log, refusals included', show(seen) === show([
        'User::"alice" deny approve', 'User::"mallory" deny approve', 'User::"bob" allow approve',
        'User::"bob" deny deny', 'User::"bob" allow deny']) && verdicts.every((v) =>
        v.resource.startsWith('Approval::') && v.approval_id && v.issuer === 'ci'), show(verdicts) + q.stderr);
    fs.rmSync(dir, { recursive: true, force: true });
}

async function expired(ctx, t) {
    const { dir, token } = apiScratch(1);
    const daemon = await ctx.start(path.join(dir, 'portcullis.conf'));
    try {
        const r = (await daemon.request({ path: '/v1/authorize', body: ask('deploy') })).json;
        await new Promise((resolve) => setTimeout(resolve, 1500));
        const res = await apiClient(daemon, token).decide('bob', r.approval_id, 'approve');
        t('API: an expired request is 409', says(res, 409, /expired/), show(res.json));
    } finally {
        const st = await daemon.stop();
        t('API: the daemon stops cleanly', st.code === 0, daemon.log());
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

/* The log's record of the one decision made with conf lines extra, and whether the daemon stopped cleanly. */
async function loggedContext(ctx, extra) {
    const dir = scratch(false, extra);
    const daemon = await ctx.start(path.join(dir, 'portcullis.conf'));
    let st;
    try {
        await daemon.request({ path: '/v1/authorize', body: ask('read', {
            context: { card: '4111111111111111', note: 'lunch', nested: { otp: '123456', keep: 1 } } }) });
    } finally {
        st = await daemon.stop();
    }
    const q = spawnSync(ctx.bin, ['audit', 'query', '--db', path.join(dir, 'log.db'), '--json'], { encoding: 'utf8' });
    fs.rmSync(dir, { recursive: true, force: true });
    return { row: JSON.parse(q.stdout.split('\n')[0] || 'null'), clean: st.code === 0, log: daemon.log() };
}

async function keptContext(ctx, t) {
    const kept = await loggedContext(ctx, ['audit.keep_context = true', 'audit.redact = card, otp']);
    let row = kept.row;
    t('log: the daemon stops cleanly', kept.clean, kept.log);
    t('log: keep_context stores the context with the named members redacted', row && show(row.context) ===
        show({ card: '[redacted]', nested: { keep: 1, otp: '[redacted]' }, note: 'lunch' }) &&
        !JSON.stringify(row).includes('4111'), show(row));
    row = (await loggedContext(ctx, [])).row;
    t('log: by default only the digest is stored', row && row.context === null &&
        /^[0-9a-f]{64}$/.test(row.context_digest), show(row));
}

async function run(ctx) {
    const parts = { 'approvals: step-up': stepUp, 'approvals: AuthZEN': authzen, 'approvals: no store': noStore,
        'approvals: HTTP API': httpApi, 'approvals: expiry over HTTP': expired,
        'decision log: context': keptContext };
    for (const [suite, fn] of Object.entries(parts)) {
        const t = (name, ok, details) => ctx.tally.check(suite, name, ok, details);
        try {
            await fn(ctx, t);
        } catch (e) {
            ctx.tally.broken(suite, e);
        }
    }
}

module.exports = { run };
