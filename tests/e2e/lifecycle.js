'use strict';
/*
 * lifecycle.js — the policy set's life in a running daemon, in a scratch
 * copy of the certification example:
 *   - a changed policy file is picked up (good reload swaps the set);
 *   - a broken policy file is refused: the old set keeps serving, and
 *     /readyz and /metrics say the reload failed;
 *   - a policy file that parses but fails strict validation against the
 *     schema is refused the same way (validate_policies, on by default);
 *   - SIGHUP reloads when file polling is off;
 *   - the admin API needs the bearer token, refuses an invalid upload
 *     without touching the serving set, and swaps in a valid one;
 *   - decisions keep coming (never a failure) while reloads happen;
 *   - the Unix socket listener answers, and its file is removed on stop.
 */

const fs = require('fs');
const os = require('os');
const path = require('path');
const { show } = require('./tally');

const TOKEN = 'e2e-admin-token-0123456789';
const WAIT_MS = 8000;

const BOB_WRITE = {
    subject: { type: 'user', id: 'bob' },
    action: { name: 'write' },
    resource: { type: 'record', id: 'record-1' },
};
const LET_BOB_WRITE = 'permit (principal == User::"bob", action == Action::"write", resource);\n';

/* A scratch scenario directory: the certification example plus a config. */
function scratch(root, pollMs) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'portcullis-e2e-'));
    const src = path.join(root, 'examples/authzen/certification');
    for (const f of ['policies.cedar', 'schema.json', 'entities.json']) {
        fs.copyFileSync(path.join(src, f), path.join(dir, f));
    }
    fs.writeFileSync(path.join(dir, 'token'), TOKEN + '\n');
    fs.writeFileSync(path.join(dir, 'portcullis.conf'), [
        'policy_dir = .', 'schema = schema.json', 'entities = entities.json',
        'admin_token_file = token', `reload_poll_ms = ${pollMs}`, '',
    ].join('\n'));
    return dir;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/* Poll /readyz until pred(body) holds; the last body either way. */
async function waitReady(daemon, pred) {
    const until = Date.now() + WAIT_MS;
    let body = null;
    while (Date.now() < until) {
        body = (await daemon.request({ path: '/readyz' })).json;
        if (body && pred(body)) return { ok: true, body };
        await sleep(50);
    }
    return { ok: false, body };
}

async function bobMayWrite(daemon) {
    const res = await daemon.request({ path: '/access/v1/evaluation', body: BOB_WRITE });
    return res.json && res.json.decision;
}

async function fileReloads(ctx, t) {
    const dir = scratch(ctx.root, 100);
    const daemon = await ctx.start(path.join(dir, 'portcullis.conf'));
    try {
        const v1 = (await daemon.request({ path: '/readyz' })).json.policy_set_version;
        t('before: bob may not write record-1', (await bobMayWrite(daemon)) === false);
        fs.writeFileSync(path.join(dir, 'extra.cedar'), LET_BOB_WRITE);
        const good = await waitReady(daemon, (b) => b.policy_set_version !== v1);
        t('a new policy file is loaded', good.ok && good.body.last_reload.ok &&
            good.body.last_reload.trigger === 'file change', show(good.body));
        t('after the good reload: bob may write', (await bobMayWrite(daemon)) === true);
        const v2 = good.body.policy_set_version;
        fs.writeFileSync(path.join(dir, 'broken.cedar'), 'permit (principal, action, resource) when {');
        const bad = await waitReady(daemon, (b) => b.last_reload.ok === false);
        t('a broken policy file is refused and /readyz says why', bad.ok &&
            bad.body.policy_set_version === v2 && /broken\.cedar/.test(bad.body.last_reload.error || ''), show(bad.body));
        t('after the bad reload: the previous set still decides', (await bobMayWrite(daemon)) === true);
        const m = (await daemon.request({ path: '/metrics' })).text;
        t('/metrics shows the failed reload', /portcullis_reload_failures_total [1-9]/.test(m) &&
            /portcullis_last_reload_success 0/.test(m), show(m));
        fs.unlinkSync(path.join(dir, 'broken.cedar'));
        const fixed = await waitReady(daemon, (b) => b.last_reload.ok === true);
        t('removing the broken file recovers', fixed.ok, show(fixed.body));
    } finally {
        await daemon.stop();
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

/* A typo in an attribute must not reach the serving set: strict validation gates reloads. */
async function validationGate(ctx, t) {
    const dir = scratch(ctx.root, 100);
    const daemon = await ctx.start(path.join(dir, 'portcullis.conf'));
    try {
        const v1 = (await daemon.request({ path: '/readyz' })).json.policy_set_version;
        fs.writeFileSync(path.join(dir, 'typo.cedar'),
            'forbid (principal, action, resource) when { principal.no_such_attribute == 1 };\n');
        const bad = await waitReady(daemon, (b) => b.last_reload.ok === false);
        t('a policy set that fails validation is refused, with the error located', bad.ok &&
            bad.body.policy_set_version === v1 &&
            /do not validate/.test(bad.body.last_reload.error || '') &&
            /typo\.cedar:1:/.test(bad.body.last_reload.error || ''), show(bad.body));
        t('the validated set keeps serving', (await bobMayWrite(daemon)) === false);
        fs.unlinkSync(path.join(dir, 'typo.cedar'));
        const fixed = await waitReady(daemon, (b) => b.last_reload.ok === true);
        t('removing the typo recovers', fixed.ok && fixed.body.policy_set_version === v1, show(fixed.body));
    } finally {
        await daemon.stop();
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

async function sighupReloads(ctx, t) {
    const dir = scratch(ctx.root, 0);
    const daemon = await ctx.start(path.join(dir, 'portcullis.conf'));
    try {
        const v1 = (await daemon.request({ path: '/readyz' })).json.policy_set_version;
        fs.writeFileSync(path.join(dir, 'extra.cedar'), LET_BOB_WRITE);
        await sleep(300);
        t('without polling, a file change alone does nothing', (await bobMayWrite(daemon)) === false);
        daemon.signal('SIGHUP');
        const r = await waitReady(daemon, (b) => b.policy_set_version !== v1);
        t('SIGHUP reloads', r.ok && r.body.last_reload.trigger === 'SIGHUP', show(r.body));
        t('after SIGHUP: bob may write', (await bobMayWrite(daemon)) === true);
    } finally {
        await daemon.stop();
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

const bearer = (tok) => ({ Authorization: `Bearer ${tok}` });

async function adminApi(ctx, t) {
    const dir = scratch(ctx.root, 0);
    const daemon = await ctx.start(path.join(dir, 'portcullis.conf'));
    const admin = '/v1/admin/policies';
    try {
        const none = await daemon.request({ path: admin });
        t('admin GET without a token is 401 with a challenge', none.status === 401 &&
            /Bearer/.test(none.headers['www-authenticate'] || ''), none.text);
        const wrong = await daemon.request({ path: admin, headers: bearer(TOKEN + 'x') });
        t('admin GET with a wrong token is 401', wrong.status === 401, wrong.text);
        const short = await daemon.request({ path: admin, headers: bearer('e2e') });
        t('admin GET with a prefix of the token is 401', short.status === 401, short.text);
        const get = await daemon.request({ path: admin, headers: bearer(TOKEN) });
        const ready = (await daemon.request({ path: '/readyz' })).json;
        t('admin GET shows the serving set and its version', get.status === 200 &&
            get.json.version === ready.policy_set_version && get.json.policies[0].name === 'policies.cedar' &&
            get.json.schema.format === 'json', show(get.text));
        const policies = get.json.policies;
        const unauth = await daemon.request({ method: 'PUT', path: admin, body: { policies } });
        t('admin PUT without a token is 401', unauth.status === 401, unauth.text);
        const broken = await daemon.request({ method: 'PUT', path: admin, headers: bearer(TOKEN),
            body: { policies: [{ name: 'x.cedar', text: 'permit (principal, action, resource' }] } });
        const after = (await daemon.request({ path: '/readyz' })).json;
        t('an invalid upload is 400 and the set is unchanged', broken.status === 400 &&
            /x\.cedar/.test(broken.json.error) && after.policy_set_version === ready.policy_set_version, broken.text);
        const put = await daemon.request({ method: 'PUT', path: admin, headers: bearer(TOKEN),
            body: { policies: policies.concat([{ name: 'bob.cedar', text: LET_BOB_WRITE }]) } });
        t('a valid upload swaps the set', put.status === 200 && put.json.version !== ready.policy_set_version &&
            put.json.policy_count === ready.policies + 1, put.text);
        t('after the upload: bob may write', (await bobMayWrite(daemon)) === true);
    } finally {
        await daemon.stop();
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

/* Many decisions in flight while the set is swapped back and forth: every one answers. */
async function decideWhileReloading(ctx, t) {
    const dir = scratch(ctx.root, 0);
    const daemon = await ctx.start(path.join(dir, 'portcullis.conf'));
    try {
        const answers = [];
        for (let round = 0; round < 10; round++) {
            const batch = [];
            for (let i = 0; i < 20; i++) batch.push(daemon.request({ path: '/access/v1/evaluation', body: BOB_WRITE }));
            if (round % 2) fs.writeFileSync(path.join(dir, 'extra.cedar'), LET_BOB_WRITE);
            else fs.rmSync(path.join(dir, 'extra.cedar'), { force: true });
            daemon.signal('SIGHUP');
            answers.push(...await Promise.all(batch));
        }
        const bad = answers.filter((r) => r.status !== 200 || typeof r.json.decision !== 'boolean');
        t('200 decisions during 10 reloads all answered', bad.length === 0 && daemon.alive(),
            show(bad.slice(0, 3).map((r) => r.text)));
    } finally {
        await daemon.stop();
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

async function unixSocket(ctx, t) {
    const dir = scratch(ctx.root, 0);
    const sock = path.join(dir, 'pdp.sock');
    const daemon = await ctx.start(path.join(dir, 'portcullis.conf'), ['--unix', sock]);
    try {
        const res = await ctx.request({ socketPath: sock, path: '/access/v1/evaluation',
            body: Object.assign({}, BOB_WRITE, { action: { name: 'read' } }) });
        t('the Unix socket serves decisions', res.status === 200 && res.json.decision === true, res.text);
    } finally {
        const status = await daemon.stop();
        t('SIGTERM stops cleanly and removes the socket file', status.code === 0 && !fs.existsSync(sock), show(status));
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

async function run(ctx) {
    const parts = { 'reload on file change': fileReloads, 'validation gates reloads': validationGate,
        'reload on SIGHUP': sighupReloads,
        'admin API': adminApi, 'decisions during reloads': decideWhileReloading, 'unix socket': unixSocket };
    for (const [suite, fn] of Object.entries(parts)) {
        const t = (name, ok, details) => ctx.tally.check(suite, name, ok, details);
        try {
            await fn(ctx, t);
        } catch (e) {
            ctx.tally.broken(suite, e);
        }
    }
}

module.exports = { run, scratch, TOKEN, BOB_WRITE };
