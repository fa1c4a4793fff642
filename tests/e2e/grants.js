'use strict';
/*
 * grants.js — short-lived grants through the daemon (server/grants.c): the
 * native API issues one after an allow that asks ("grant": true) or whose
 * determining policy carries @grant / @grant("single_use");
 * POST /v1/grants/verify checks signature, expiry, binding, and (through
 * the daemon's ledger) single use; GET /.well-known/jwks.json publishes the
 * key, and node's own crypto checks a grant's signature with it offline.
 * The signing key is made here; an expired grant is made by re-signing an
 * issued one with it, times moved into the past.
 */

const crypto = require('crypto');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { show } = require('./tally');

/* policy0: read (grant on request), policy1: write (@grant), policy2: deploy (@grant single use) */
const POLICIES = [
    'permit (principal == User::"alice", action == Action::"read", resource);',
    '@grant permit (principal == User::"alice", action == Action::"write", resource);',
    '@grant("single_use") permit (principal == User::"alice", action == Action::"deploy", resource);',
    '',
].join('\n');

const uid = (type, id) => ({ type, id });
const ALICE = uid('User', 'alice'), DOC = uid('Doc', 'd1');
const ask = (action, extra = {}) => Object.assign({ principal: ALICE, action: uid('Action', action),
    resource: DOC, context: { ticket: 7 } }, extra);
const check = (token, action, extra = {}) => Object.assign({ token, principal: ALICE,
    action: uid('Action', action), resource: DOC, context: { ticket: 7 } }, extra);

function scratch(withGrants) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'portcullis-e2e-grants-'));
    const key = crypto.generateKeyPairSync('ed25519').privateKey;
    fs.writeFileSync(path.join(dir, 'grant.pem'), key.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    fs.writeFileSync(path.join(dir, 'policies.cedar'), POLICIES);
    fs.writeFileSync(path.join(dir, 'portcullis.conf'), ['policy_dir = .', 'reload_poll_ms = 0',
        ...(withGrants ? ['grants.signing_key = grant.pem', 'grants.max_ttl = 120'] : []), ''].join('\n'));
    return { dir, key };
}

/* The same grant with iat/exp moved an hour into the past, signed again with key. */
function expiredCopy(token, key) {
    const [head, body] = token.split('.');
    const claims = JSON.parse(Buffer.from(body, 'base64url'));
    claims.iat -= 3600;
    claims.exp -= 3600;
    const input = `${head}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
    return `${input}.${crypto.sign(null, Buffer.from(input), key).toString('base64url')}`;
}

async function issueAndVerify(ctx, t) {
    const { dir, key } = scratch(true);
    const daemon = await ctx.start(path.join(dir, 'portcullis.conf'));
    const verify = async (body) => (await daemon.request({ path: '/v1/grants/verify', body })).json;
    try {
        const jwks = await daemon.request({ path: '/.well-known/jwks.json' });
        const jwk = jwks.json && jwks.json.keys && jwks.json.keys[0];
        t('the JWKS publishes the Ed25519 grant key', jwks.status === 200 && jwks.json.keys.length === 1 &&
            jwk.kty === 'OKP' && jwk.crv === 'Ed25519' && typeof jwk.kid === 'string' && !jwk.d, show(jwks.text));

        let r = await daemon.request({ path: '/v1/authorize', body: ask('read') });
        t('an allow that does not ask gets no grant', r.json.decision === 'allow' && !('grant' in r.json), show(r.text));
        r = await daemon.request({ path: '/v1/authorize', body: ask('read', { principal: uid('User', 'bob'), grant: true }) });
        t('a deny gets no grant even when asked', r.json.decision === 'deny' && !('grant' in r.json), show(r.text));
        r = await daemon.request({ path: '/v1/authorize', body: ask('read', { grant: true }) });
        const g = r.json.grant;
        t('"grant": true on an allow: a grant comes with it', r.json.decision === 'allow' && g &&
            typeof g.token === 'string' && g.single_use === false &&
            g.expires_at > Date.now() / 1000 && g.expires_at <= Date.now() / 1000 + 121, show(r.text));
        if (!g) return;
        const [h, p, s] = g.token.split('.');
        t('node verifies the grant offline with the published key',
            crypto.verify(null, Buffer.from(`${h}.${p}`), crypto.createPublicKey({ key: jwk, format: 'jwk' }),
                Buffer.from(s, 'base64url')), g.token);

        let v = await verify(check(g.token, 'read'));
        t('verify: the grant for what was decided is valid', v.valid === true && v.jti === g.jti, show(v));
        v = await verify(check(g.token, 'read'));
        t('verify: a reusable grant is valid again', v.valid === true, show(v));
        v = await verify(check(g.token, 'write'));
        t('verify: another action is wrong_action', v.valid === false && v.reason === 'wrong_action', show(v));
        v = await verify(check(g.token, 'read', { resource: uid('Doc', 'd2') }));
        t('verify: another resource is wrong_resource', v.valid === false && v.reason === 'wrong_resource', show(v));
        v = await verify(check(g.token, 'read', { principal: 'User::"mallory"' }));
        t('verify: another principal is wrong_principal', v.valid === false && v.reason === 'wrong_principal', show(v));
        v = await verify(check(g.token, 'read', { context: { ticket: 8 } }));
        t('verify: another context is wrong_context', v.valid === false && v.reason === 'wrong_context', show(v));
        v = await verify(check(`${h}.${p}.${Buffer.from('x'.repeat(64)).toString('base64url')}`, 'read'));
        t('verify: a forged signature is bad_signature', v.valid === false && v.reason === 'bad_signature', show(v));
        v = await verify(check(expiredCopy(g.token, key), 'read'));
        t('verify: an expired grant is expired', v.valid === false && v.reason === 'expired', show(v));

        r = await daemon.request({ path: '/v1/authorize', body: ask('write') });
        t('@grant on the determining policy: a grant without asking', r.json.grant &&
            r.json.grant.single_use === false, show(r.text));
        r = await daemon.request({ path: '/v1/authorize', body: ask('deploy') });
        const once = r.json.grant;
        t('@grant("single_use"): a single-use grant', once && once.single_use === true, show(r.text));
        if (!once) return;
        v = await verify(check(once.token, 'deploy'));
        t('verify: a single-use grant is valid once', v.valid === true && v.single_use === true, show(v));
        v = await verify(check(once.token, 'deploy'));
        t('verify: ... and then spent', v.valid === false && v.reason === 'spent', show(v));
        const bad = await daemon.request({ path: '/v1/grants/verify', body: { token: 5, action: 'Action::"read"',
            resource: 'Doc::"d1"' } });
        t('verify: a malformed body is a 400', bad.status === 400, show(bad.text));
    } finally {
        const st = await daemon.stop();
        t('the daemon stops cleanly (no crash, no sanitizer report)', st.code === 0, daemon.log());
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

async function withoutGrants(ctx, t) {
    const { dir } = scratch(false);
    const daemon = await ctx.start(path.join(dir, 'portcullis.conf'));
    try {
        const jwks = await daemon.request({ path: '/.well-known/jwks.json' });
        t('no grant keys: the JWKS is a 404', jwks.status === 404, show(jwks.text));
        const v = await daemon.request({ path: '/v1/grants/verify', body: check('a.b.c', 'read') });
        t('no grant keys: verify is a 404', v.status === 404, show(v.text));
        const r = await daemon.request({ path: '/v1/authorize', body: ask('write') });
        t('no grant keys: an allow asking for one says why and stays an allow', r.json.decision === 'allow' &&
            /not configured/.test(r.json.grant_error), show(r.text));
    } finally {
        const st = await daemon.stop();
        t('the daemon stops cleanly (no crash, no sanitizer report)', st.code === 0, daemon.log());
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

async function run(ctx) {
    const parts = { 'grants: issue and verify': issueAndVerify, 'grants: not configured': withoutGrants };
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
