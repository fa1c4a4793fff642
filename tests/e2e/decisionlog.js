'use strict';
/*
 * decisionlog.js — the daemon's decision log (audit.db, audit.mode,
 * audit.checkpoint_key; server/journal.c), read back with the real CLI:
 *   - every decision of every endpoint (native single and batch, AuthZEN
 *     evaluation, batch and search) is one record, with the answer's
 *     decision id (batch items "-N"), the X-Request-Id, the decision, the
 *     determining policies and the policy-set version; `portcullis audit
 *     query` lists them and `portcullis audit verify --pubkey` passes;
 *   - in sync mode, kill -9 under load: after a restart on the same log,
 *     every decision a client received is in it and the chain verifies;
 *   - in sync mode a log that refuses writes (a trigger aborting every
 *     insert, put in by the sqlite3 shell: the tests run as root, for whom a
 *     read-only file is still writable) turns every answer into a deny
 *     naming the log's reason.
 */

const { execFileSync, spawnSync } = require('child_process');
const crypto = require('crypto');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { show } = require('./tally');

const POLICIES = 'permit (principal == User::"alice", action == Action::"read", resource);\n';
const ENTITIES = [{ uid: { type: 'Doc', id: 'd1' }, attrs: {}, parents: [] },
    { uid: { type: 'Doc', id: 'd2' }, attrs: {}, parents: [] }];

function scratch(mode) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'portcullis-e2e-log-'));
    const key = crypto.generateKeyPairSync('ed25519');
    fs.writeFileSync(path.join(dir, 'checkpoint.pem'), key.privateKey.export({ type: 'pkcs8', format: 'pem' }));
    fs.writeFileSync(path.join(dir, 'checkpoint.pub.pem'), key.publicKey.export({ type: 'spki', format: 'pem' }));
    fs.writeFileSync(path.join(dir, 'policies.cedar'), POLICIES);
    fs.writeFileSync(path.join(dir, 'entities.json'), JSON.stringify(ENTITIES));
    fs.writeFileSync(path.join(dir, 'portcullis.conf'), ['policy_dir = .', 'entities = entities.json',
        'reload_poll_ms = 0', 'audit.db = log.db', `audit.mode = ${mode}`,
        'audit.checkpoint_key = checkpoint.pem', ''].join('\n'));
    return dir;
}

const uid = (type, id) => ({ type, id });
const native = (who, action = 'read', doc = 'd1') =>
    ({ principal: uid('User', who), action: uid('Action', action), resource: uid('Doc', doc) });
const az = (who) => ({ subject: { type: 'user', id: who }, action: { name: 'read' }, resource: { type: 'doc', id: 'd1' } });

function cli(ctx, args) {
    /* a log of thousands of records prints megabytes: spawnSync's 1 MiB default would cut it */
    const r = spawnSync(ctx.bin, args, { encoding: 'utf8', maxBuffer: 256 << 20 });
    return { status: r.status, out: r.stdout, err: r.stderr };
}

/* Make one decision of each kind; returns what the log must then hold, in order. */
async function decide(daemon, t) {
    const want = [];
    let r = await daemon.request({ path: '/v1/authorize', body: native('alice'), headers: { 'X-Request-Id': 'req-42' } });
    t('native allow answered', r.json && r.json.decision === 'allow', show(r.text));
    want.push({ decision_id: r.json.decision_id, request_id: 'req-42', decision: 'allow',
        principal: 'User::"alice"', reasons: ['policy0'], policy_version: r.json.policy_set_version });
    r = await daemon.request({ path: '/v1/authorize', body: native('bob') });
    want.push({ decision_id: r.json.decision_id, decision: 'deny', principal: 'User::"bob"', reasons: [] });
    r = await daemon.request({ path: '/v1/authorize/batch', body: { requests: [native('alice'), native('bob')] } });
    want.push({ decision_id: `${r.json.decision_id}-0`, decision: 'allow' });
    want.push({ decision_id: `${r.json.decision_id}-1`, decision: 'deny' });
    r = await daemon.request({ path: '/access/v1/evaluation', body: az('alice') });
    want.push({ decision_id: r.headers['x-decision-id'], decision: 'allow', resource: 'Doc::"d1"' });
    r = await daemon.request({ path: '/access/v1/evaluations', body: { evaluations: [az('bob'), az('alice')] } });
    want.push({ decision_id: `${r.headers['x-decision-id']}-0`, decision: 'deny' });
    want.push({ decision_id: `${r.headers['x-decision-id']}-1`, decision: 'allow' });
    r = await daemon.request({ path: '/access/v1/search/resource', body: { subject: { type: 'user', id: 'alice' },
        action: { name: 'read' }, resource: { type: 'doc' } } });
    t('search answered', r.json && r.json.results.length === 2, show(r.text));
    want.push({ decision_id: `${r.headers['x-decision-id']}-0`, decision: 'allow', resource: 'Doc::"d1"' });
    want.push({ decision_id: `${r.headers['x-decision-id']}-1`, decision: 'allow', resource: 'Doc::"d2"' });
    return want;
}

async function everyDecision(ctx, t, mode) {
    const dir = scratch(mode);
    const db = path.join(dir, 'log.db');
    try {
        const daemon = await ctx.start(path.join(dir, 'portcullis.conf'));
        let want;
        try {
            want = await decide(daemon, t);
        } finally {
            const st = await daemon.stop();   /* closing the log signs a final checkpoint */
            t(`${mode}: the daemon stops cleanly`, st.code === 0, daemon.log());
        }
        const q = cli(ctx, ['audit', 'query', '--db', db, '--json']);
        const rows = q.out.split('\n').filter(Boolean).map((l) => JSON.parse(l));
        t(`${mode}: audit query lists one record per decision`, q.status === 0 && rows.length === want.length,
            `${q.status} ${q.err}\n${show(rows)}`);
        for (const [i, w] of want.entries()) {
            const got = rows.find((row) => row.decision_id === w.decision_id);
            const ok = got && Object.entries(w).every(([k, v]) => show(got[k]) === show(v)) &&
                got.source === 'daemon';
            t(`${mode}: record ${i} (${w.decision_id}) holds the decision`, ok, `want ${show(w)}\ngot ${show(got)}`);
        }
        const v = cli(ctx, ['audit', 'verify', '--db', db, '--pubkey', path.join(dir, 'checkpoint.pub.pem')]);
        t(`${mode}: audit verify passes with the checkpoint key`, v.status === 0, v.out + v.err);
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

/* Clients hammer the daemon until it is SIGKILLed; the decision ids they received. */
async function load(daemon, clients, ms) {
    const received = [];
    let stop = false;
    const loop = async (k) => {
        for (let i = 0; !stop; i++) {
            try {
                const r = await daemon.request({ path: '/v1/authorize', body: native(i % 2 ? 'alice' : 'bob'),
                    headers: { 'X-Request-Id': `load-${k}-${i}` } });
                if (r.json && r.json.decision_id && (r.json.decision === 'allow' || r.json.decision === 'deny'))
                    received.push(r.json.decision_id);
            } catch (e) {
                return;   /* the daemon is gone */
            }
        }
    };
    const loops = Array.from({ length: clients }, (_, k) => loop(k));
    await new Promise((r) => setTimeout(r, ms));
    daemon.signal('SIGKILL');
    stop = true;
    await Promise.all(loops);
    await daemon.stop();
    return received;
}

async function killedUnderLoad(ctx, t) {
    const dir = scratch('sync');
    const db = path.join(dir, 'log.db');
    try {
        const received = await load(await ctx.start(path.join(dir, 'portcullis.conf')), 8, 1500);
        t('sync: decisions were answered before the kill', received.length > 20, `${received.length}`);
        const again = await ctx.start(path.join(dir, 'portcullis.conf'));
        let r;
        try {
            r = await again.request({ path: '/v1/authorize', body: native('alice') });
        } finally {
            const st = await again.stop();
            t('sync: the restarted daemon stops cleanly', st.code === 0, again.log());
        }
        t('sync: the restarted daemon decides on the same log', r && r.json && r.json.decision === 'allow', show(r && r.text));
        const q = cli(ctx, ['audit', 'query', '--db', db, '--json']);
        const bad = [];
        const logged = new Set(q.out.split('\n').filter(Boolean).map((l) => {
            try { return JSON.parse(l).decision_id; } catch (e) { bad.push(l); return null; }
        }));
        t('sync: audit query prints JSON lines after kill -9', bad.length === 0, bad.slice(0, 2).join('\n'));
        const lost = received.filter((id) => !logged.has(id));
        t('sync: every decision a client received is in the log after kill -9', q.status === 0 &&
            received.length > 0 && lost.length === 0, `${q.status} ${q.err} lost ${lost.length} of ${received.length}: ${lost.slice(0, 5)}`);
        const v = cli(ctx, ['audit', 'verify', '--db', db, '--pubkey', path.join(dir, 'checkpoint.pub.pem')]);
        t('sync: the chain verifies after kill -9 and restart', v.status === 0, v.out + v.err);
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

async function refusedWrites(ctx, t) {
    const dir = scratch('sync');
    try {
        const daemon = await ctx.start(path.join(dir, 'portcullis.conf'));
        try {
            let r = await daemon.request({ path: '/v1/authorize', body: native('alice') });
            t('sync: allowed while the log takes records', r.json && r.json.decision === 'allow', show(r.text));
            execFileSync('sqlite3', [path.join(dir, 'log.db'), 'CREATE TRIGGER refuse BEFORE INSERT ON decisions ' +
                "BEGIN SELECT RAISE(ABORT, 'attempt to write a readonly database'); END;"]);
            r = await daemon.request({ path: '/v1/authorize', body: native('alice') });
            t('sync: a log that refuses the record turns the allow into a deny with the reason',
                r.json && r.json.decision === 'deny' && /^audit: .*readonly/.test(r.json.error), show(r.text));
            r = await daemon.request({ path: '/access/v1/evaluation', body: az('alice') });
            t('sync: AuthZEN too: false with the reason', r.json && r.json.decision === false &&
                /^audit: .*readonly/.test(r.json.context.error), show(r.text));
            r = await daemon.request({ path: '/access/v1/search/resource', body: { subject: { type: 'user', id: 'alice' },
                action: { name: 'read' }, resource: { type: 'doc' } } });
            t('sync: a search finds nothing and says why', r.json && r.json.results.length === 0 &&
                /^audit: /.test(r.json.context.error), show(r.text));
        } finally {
            const st = await daemon.stop();
            t('sync: the daemon stops cleanly', st.code === 0, daemon.log());
        }
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

async function run(ctx) {
    const parts = {
        'decision log: sync': (c, t) => everyDecision(c, t, 'sync'),
        'decision log: async': (c, t) => everyDecision(c, t, 'async'),
        'decision log: refused writes': refusedWrites,
        'decision log: kill -9 under load': killedUnderLoad,
    };
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
