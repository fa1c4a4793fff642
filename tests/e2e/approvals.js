'use strict';
/*
 * approvals.js — human approval as step-up through the daemon
 * (server/stepup.c): an allow determined by an @approval policy is
 * "approval_required" with a pending request id; once a human approves it
 * with the real CLI (`portcullis approvals approve ... --admin`), a retry
 * presenting the id is allowed, exactly once. The decision log records the
 * approval_required answer. Without approvals.db such an allow is a deny.
 */

const { spawnSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { show } = require('./tally');

const POLICIES = [
    '@approval("ops") permit (principal == User::"alice", action == Action::"deploy", resource);',
    'permit (principal == User::"alice", action == Action::"read", resource);',
    '',
].join('\n');

const uid = (type, id) => ({ type, id });
const ask = (action, extra = {}) => Object.assign({ principal: uid('User', 'alice'),
    action: uid('Action', action), resource: uid('Svc', 'api'), context: { change: 'CHG-1' } }, extra);

function scratch(withStore) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'portcullis-e2e-approvals-'));
    fs.writeFileSync(path.join(dir, 'policies.cedar'), POLICIES);
    fs.writeFileSync(path.join(dir, 'entities.json'), JSON.stringify(['api', 'web'].map((id) =>
        ({ uid: uid('Svc', id), attrs: {}, parents: [] }))));
    fs.writeFileSync(path.join(dir, 'portcullis.conf'), ['policy_dir = .', 'reload_poll_ms = 0',
        'entities = entities.json',
        'audit.db = log.db', 'audit.mode = sync',
        ...(withStore ? ['approvals.db = approvals.db', 'approvals.ttl = 600'] : []), ''].join('\n'));
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

async function run(ctx) {
    const parts = { 'approvals: step-up': stepUp, 'approvals: AuthZEN': authzen, 'approvals: no store': noStore };
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
