'use strict';
/*
 * scoped.js — request-scoped entities through the running daemon: entities a
 * native request brings (and AuthZEN properties) replace the stored ones for
 * that request only, with the hierarchy recomputed where they change it.
 *
 * The scenario (written to a scratch directory): alice is in staff, staff in
 * admins, admins may do anything; bob is in no group. Each row sends one
 * request and names the decision a store rebuilt with the request's entities
 * would give; plain requests between the rows check nothing leaks from one
 * request into the next, and a batch checks items do not see each other's
 * entities.
 */

const fs = require('fs');
const os = require('os');
const path = require('path');
const { show } = require('./tally');

const POLICIES = [
    'permit (principal in Group::"admins", action, resource);',
    'forbid (principal, action, resource) when { principal has banned && principal.banned };',
    '',
].join('\n');

const uid = (type, id) => ({ type, id });
const entity = (u, parents, attrs = {}) => ({ uid: u, attrs, parents });
const ALICE = uid('User', 'alice'), BOB = uid('User', 'bob');
const STAFF = uid('Group', 'staff'), ADMINS = uid('Group', 'admins'), GUESTS = uid('Group', 'guests');

const STORED = [
    entity(ALICE, [STAFF]), entity(BOB, []), entity(STAFF, [ADMINS]), entity(ADMINS, []),
];

const native = (principal, entities) => ({
    principal, action: uid('Action', 'read'), resource: uid('Doc', 'd1'),
    ...(entities ? { entities } : {}),
});

/* [name, request, expected decision, text the error must hold (deny with error)] */
const ROWS = [
    ['stored: alice is an admin through staff', native(ALICE), 'allow'],
    ['stored: bob is in no group', native(BOB), 'deny'],
    ['staff re-parented to guests: alice loses admins', native(ALICE, [entity(STAFF, [GUESTS])]), 'deny'],
    ['no leak: alice again without entities', native(ALICE), 'allow'],
    ['bob brought into staff', native(BOB, [entity(BOB, [STAFF])]), 'allow'],
    ['a new group between bob and admins', native(BOB, [entity(BOB, [uid('Group', 'ops')]),
        entity(uid('Group', 'ops'), [ADMINS])]), 'allow'],
    ['alice with an attribute that forbids', native(ALICE, [entity(ALICE, [STAFF], { banned: true })]), 'deny'],
    ['a cycle is refused, not decided', native(ALICE, [entity(ADMINS, [STAFF])]), 'deny', 'cycle'],
    ['the same entity twice is refused', native(BOB, [entity(BOB, [STAFF]), entity(BOB, [])]), 'deny', 'twice'],
    ['no leak: bob again without entities', native(BOB), 'deny'],
];

function scratch() {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'portcullis-e2e-scoped-'));
    fs.writeFileSync(path.join(dir, 'policies.cedar'), POLICIES);
    fs.writeFileSync(path.join(dir, 'entities.json'), JSON.stringify(STORED));
    fs.writeFileSync(path.join(dir, 'portcullis.conf'),
        ['policy_dir = .', 'entities = entities.json', 'reload_poll_ms = 0', ''].join('\n'));
    return dir;
}

async function rows(daemon, t) {
    for (const [name, body, want, error] of ROWS) {
        const res = await daemon.request({ path: '/v1/authorize', body });
        const j = res.json || {};
        const ok = res.status === 200 && j.decision === want &&
            (error ? typeof j.error === 'string' && j.error.includes(error) : !j.error);
        t(name, ok, `expected ${want}${error ? ` with an error about "${error}"` : ''}, got ${res.status} ${show(res.text)}`);
    }
}

async function batch(daemon, t) {
    const body = { requests: [native(BOB, [entity(BOB, [STAFF])]), native(BOB), native(ALICE, [entity(STAFF, [])])] };
    const res = await daemon.request({ path: '/v1/authorize/batch', body });
    const got = res.json && res.json.results ? res.json.results.map((r) => r.decision) : null;
    t('batch items do not see each other\'s entities', JSON.stringify(got) === '["allow","deny","deny"]',
        `got ${res.status} ${show(res.text)}`);
}

async function authzenProperties(daemon, t) {
    const body = { subject: { type: 'user', id: 'bob', properties: { banned: true } },
        action: { name: 'read' }, resource: { type: 'doc', id: 'd1' } };
    const bobIn = await daemon.request({ path: '/v1/authorize', body: native(BOB, [entity(BOB, [STAFF])]) });
    const banned = await daemon.request({ path: '/access/v1/evaluation', body });
    const alice = { subject: { type: 'user', id: 'alice', properties: { banned: false } },
        action: { name: 'read' }, resource: { type: 'doc', id: 'd1' } };
    const kept = await daemon.request({ path: '/access/v1/evaluation', body: alice });
    t('properties lay over a stored user: banned bob is denied', bobIn.json && bobIn.json.decision === 'allow' &&
        banned.json && banned.json.decision === false, `${show(bobIn.text)} / ${show(banned.text)}`);
    t('properties keep the stored parents: alice stays an admin', kept.json && kept.json.decision === true,
        show(kept.text));
}

async function run(ctx) {
    const suite = 'request-scoped entities';
    const t = (name, ok, details) => ctx.tally.check(suite, name, ok, details);
    const dir = scratch();
    let daemon;
    try {
        daemon = await ctx.start(path.join(dir, 'portcullis.conf'));
        await rows(daemon, t);
        await batch(daemon, t);
        await authzenProperties(daemon, t);
    } catch (e) {
        ctx.tally.broken(suite, e);
    } finally {
        if (daemon) await daemon.stop();
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

module.exports = { run };
