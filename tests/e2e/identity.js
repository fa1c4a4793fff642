'use strict';
/*
 * identity.js — verified identity at decision time (caller.h): the daemon
 * trusts one issuer whose keys (an Ed25519 and an RSA key made here with
 * node's crypto) sit in a JWKS file in the scratch config directory; the
 * tests sign their own JWTs with them, so every token is made on the spot.
 *
 *   - a good token (EdDSA or RS256; bearer header or the native "token"
 *     member) decides as its subject, with its claims in context.token and,
 *     for a principal the store lacks, the profile's attributes;
 *   - expired, wrong issuer, wrong audience, alg none and a bad signature are
 *     each a deny naming the identity library's reason, never an allow;
 *   - a body principal is ignored under identity.subject = ignore and must
 *     match under must_match; identity.required = true denies no token;
 *   - a body's own context.token is dropped; a schema that does not declare
 *     context.token still validates requests made with a token, and one that
 *     declares it gets the claims, validated against the declared type;
 *   - SIGHUP re-reads the JWKS file with the policy set (key rotation).
 */

const crypto = require('crypto');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { show } = require('./tally');

const ISS = 'https://ci.example';
const AUD = 'portcullis';
const WAIT_MS = 8000;

/* Policies are named policy0, policy1, ... in file order (as Cedar names them). */
const POLICIES = [
    '@id("billing-reads-prod") permit (principal == Svc::"billing", action == Action::"read", resource)',
    '  when { context has token && context.token.env == "prod" };',
    '@id("root-does-all") permit (principal == Svc::"root", action, resource);',
    '@id("core-team-writes") permit (principal, action == Action::"write", resource)',
    '  when { principal has team && principal.team == "core" };',
    '',
].join('\n');

/* A schema whose read context does not declare token: requests must still validate. */
const SCHEMA_NO_TOKEN = [
    'entity Svc = { team?: String };',
    'entity Doc;',
    'action read appliesTo { principal: [Svc], resource: [Doc], context: { reason?: String } };',
    '',
].join('\n');
const POLICIES_SCHEMA = '@id("svc-reads") permit (principal == Svc::"billing", action == Action::"read", resource);\n';
/* A schema that declares the token's claims: then they reach the policies, validated. */
const SCHEMA_TOKEN = [
    'entity Svc = { team?: String };',
    'entity Doc;',
    'type Token = { iss: String, aud: String, sub: String, iat: Long, exp: Long, env: String };',
    'action read appliesTo { principal: [Svc], resource: [Doc], context: { token: Token } };',
    '',
].join('\n');
const POLICIES_TOKEN = 'permit (principal, action == Action::"read", resource) when { context.token.env == "prod" };\n';

const b64 = (v) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/* The issuer's keys and their JWKS; kid names each. */
function makeKeys(suffix) {
    const ed = crypto.generateKeyPairSync('ed25519');
    const rsa = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
    const keys = { ed: { kid: `ed-${suffix}`, key: ed.privateKey }, rs: { kid: `rs-${suffix}`, key: rsa.privateKey } };
    const jwks = { keys: [
        Object.assign(ed.publicKey.export({ format: 'jwk' }), { kid: keys.ed.kid, alg: 'EdDSA', use: 'sig' }),
        Object.assign(rsa.publicKey.export({ format: 'jwk' }), { kid: keys.rs.kid, alg: 'RS256', use: 'sig' }),
    ] };
    return { keys, jwks };
}

/* A compact JWS: alg EdDSA (ed key) or RS256 (rs key); `none` leaves it unsigned. */
function sign(keys, claims, opts = {}) {
    const now = Math.floor(Date.now() / 1000);
    const payload = Object.assign({ iss: ISS, aud: AUD, sub: 'billing', iat: now, exp: now + 300 }, claims);
    const alg = opts.alg || 'EdDSA';
    const k = alg === 'RS256' ? keys.rs : keys.ed;
    const head = b64({ alg, typ: 'JWT', kid: k.kid });
    const input = `${head}.${b64(payload)}`;
    if (alg === 'none') return `${input}.`;
    const sig = crypto.sign(alg === 'RS256' ? 'sha256' : null, Buffer.from(input), k.key);
    if (opts.tamper) sig[0] ^= 1;
    return `${input}.${sig.toString('base64url')}`;
}

function scratch(extraConf, schema, policies) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'portcullis-e2e-identity-'));
    const { keys, jwks } = makeKeys('1');
    fs.writeFileSync(path.join(dir, 'policies.cedar'), policies || (schema ? POLICIES_SCHEMA : POLICIES));
    fs.writeFileSync(path.join(dir, 'jwks.json'), JSON.stringify(jwks));
    const conf = ['policy_dir = .', 'reload_poll_ms = 0',
        `identity.issuer.ci.issuer = ${ISS}`, 'identity.issuer.ci.jwks_file = jwks.json',
        'identity.issuer.ci.algorithms = EdDSA RS256', `identity.issuer.ci.audiences = ${AUD}`,
        'identity.issuer.ci.profile = custom', 'identity.issuer.ci.principal_type = Svc',
        'identity.issuer.ci.attributes = team', ...extraConf];
    if (schema) {
        fs.writeFileSync(path.join(dir, 'schema.cedarschema'), schema);
        conf.push('schema = schema.cedarschema');
    }
    fs.writeFileSync(path.join(dir, 'portcullis.conf'), conf.join('\n') + '\n');
    return { dir, keys };
}

const uid = (type, id) => ({ type, id });
const native = (principal, action, extra = {}) =>
    Object.assign({ principal, action: uid('Action', action), resource: uid('Doc', 'd1') }, extra);
const authzen = (id, action) => ({ subject: { type: 'svc', id }, action: { name: action },
    resource: { type: 'doc', id: 'd1' } });
const bearer = (tok) => ({ Authorization: `Bearer ${tok}` });

async function ask(daemon, body, token, where = '/v1/authorize') {
    const res = await daemon.request({ path: where, body, headers: token ? bearer(token) : {} });
    return res;
}

/* A native answer is the expected decision, and a deny names reason (when given). */
function nativeIs(res, decision, reason) {
    return res.status === 200 && res.json && res.json.decision === decision &&
        (!reason || (typeof res.json.error === 'string' && res.json.error.includes(`identity: ${reason}:`)));
}

async function withDaemon(ctx, t, extraConf, schema, fn, policies) {
    const { dir, keys } = scratch(extraConf, schema, policies);
    const daemon = await ctx.start(path.join(dir, 'portcullis.conf'));
    try {
        await fn(daemon, keys, dir);
    } finally {
        const st = await daemon.stop();
        t('the daemon stops cleanly (no crash, no sanitizer report)', st.code === 0, daemon.log());
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

async function goodTokens(ctx, t) {
    await withDaemon(ctx, t, [], null, async (daemon, keys) => {
        const billing = native(uid('Svc', 'billing'), 'read');
        let r = await ask(daemon, billing, sign(keys, { env: 'prod' }));
        t('EdDSA bearer token: allowed, claims in context.token', nativeIs(r, 'allow') &&
            show(r.json.reasons) === show(['policy0']), show(r.text));
        r = await ask(daemon, billing, sign(keys, { env: 'prod' }, { alg: 'RS256' }));
        t('RS256 bearer token: allowed', nativeIs(r, 'allow'), show(r.text));
        r = await ask(daemon, native(uid('Svc', 'billing'), 'read', { token: sign(keys, { env: 'prod' }) }));
        t('the native "token" member works like the header', nativeIs(r, 'allow'), show(r.text));
        r = await ask(daemon, billing, sign(keys, { env: 'staging' }));
        t('a claim the policy rejects: deny without error', nativeIs(r, 'deny') && !r.json.error, show(r.text));
        r = await ask(daemon, native(uid('Svc', 'root'), 'read'), sign(keys, { env: 'staging' }));
        t('ignore: the body claiming Svc::"root" decides as the token\'s billing',
            nativeIs(r, 'deny') && !r.json.error, show(r.text));
        r = await ask(daemon, native(uid('Svc', 'root'), 'read'));
        t('no token, not required: the body principal decides as before', nativeIs(r, 'allow'), show(r.text));
        r = await ask(daemon, native(uid('Svc', 'billing'), 'read', { context: { token: { env: 'prod' } } }));
        t('a body\'s own context.token is dropped (no token: deny)', nativeIs(r, 'deny'), show(r.text));
        r = await ask(daemon, native(uid('Svc', 'x'), 'write'), sign(keys, { sub: 'ci-7', team: 'core' }));
        t('an unstored principal gets the profile\'s attributes (principal.team)',
            nativeIs(r, 'allow') && show(r.json.reasons) === show(['policy2']), show(r.text));
        r = await ask(daemon, authzen('billing', 'read'), sign(keys, { env: 'prod' }), '/access/v1/evaluation');
        t('AuthZEN evaluation with a good bearer token: true', r.status === 200 && r.json.decision === true,
            show(r.text));
        r = await ask(daemon, { evaluations: [authzen('root', 'read'), authzen('billing', 'read')] },
            sign(keys, { env: 'prod' }), '/access/v1/evaluations');
        t('AuthZEN batch: every item decided as the token\'s subject', r.status === 200 &&
            show(r.json.evaluations) === show([{ decision: true }, { decision: true }]), show(r.text));
    });
}

/* [name, token maker, reason] — each must be a deny naming reason, never an allow. */
const BAD = [
    ['expired', (k) => sign(k, { env: 'prod', iat: 1000, exp: 2000 }), 'expired'],
    ['wrong issuer', (k) => sign(k, { env: 'prod', iss: 'https://evil.example' }), 'untrusted_issuer'],
    ['wrong audience', (k) => sign(k, { env: 'prod', aud: 'someone-else' }), 'wrong_audience'],
    ['alg none', (k) => sign(k, { env: 'prod' }, { alg: 'none' }), 'alg_none'],
    ['bad signature', (k) => sign(k, { env: 'prod' }, { tamper: true }), 'bad_signature'],
];

async function badTokens(ctx, t) {
    await withDaemon(ctx, t, [], null, async (daemon, keys) => {
        for (const [name, make, reason] of BAD) {
            const tok = make(keys);
            let r = await ask(daemon, native(uid('Svc', 'billing'), 'read'), tok);
            t(`native, ${name}: deny with ${reason}`, nativeIs(r, 'deny', reason), show(r.text));
            r = await ask(daemon, native(uid('Svc', 'root'), 'read'), tok);
            t(`native, ${name}: even a body principal the policies allow is denied`,
                nativeIs(r, 'deny', reason), show(r.text));
            r = await ask(daemon, authzen('billing', 'read'), tok, '/access/v1/evaluation');
            t(`AuthZEN, ${name}: false with ${reason}`, r.status === 200 && r.json.decision === false &&
                String(r.json.context && r.json.context.error).includes(`identity: ${reason}:`), show(r.text));
        }
    });
}

async function mustMatch(ctx, t) {
    await withDaemon(ctx, t, ['identity.subject = must_match', 'identity.required = true'], null,
        async (daemon, keys) => {
            const tok = sign(keys, { env: 'prod' });
            let r = await ask(daemon, native(uid('Svc', 'billing'), 'read'), tok);
            t('must_match: the token\'s own principal is allowed', nativeIs(r, 'allow'), show(r.text));
            r = await ask(daemon, native('Svc::"root"', 'read'), tok);
            t('must_match: a body subject other than the token\'s is denied',
                nativeIs(r, 'deny', 'subject_mismatch'), show(r.text));
            r = await ask(daemon, authzen('root', 'read'), tok, '/access/v1/evaluation');
            t('must_match: AuthZEN subject mismatch is false with the reason', r.status === 200 &&
                r.json.decision === false && /subject_mismatch/.test(r.json.context.error), show(r.text));
            r = await ask(daemon, native(uid('Svc', 'root'), 'read'));
            t('required: no token is a deny (missing_token)', nativeIs(r, 'deny', 'missing_token'), show(r.text));
            r = await ask(daemon, authzen('root', 'read'), null, '/access/v1/evaluation');
            t('required: AuthZEN without a token is false', r.status === 200 && r.json.decision === false &&
                /missing_token/.test(r.json.context.error), show(r.text));
            r = await ask(daemon, { subject: { type: 'svc', id: 'x' }, action: { name: 'read' },
                resource: { type: 'doc' } }, null, '/access/v1/search/resource');
            t('required: a search without a token finds nothing and says why', r.status === 200 &&
                r.json.results.length === 0 && /missing_token/.test(r.json.context.error), show(r.text));
        });
}

async function schemaAndToken(ctx, t) {
    await withDaemon(ctx, t, [], SCHEMA_NO_TOKEN, async (daemon, keys) => {
        const r = await ask(daemon, native(uid('Svc', 'billing'), 'read'), sign(keys, { env: 'prod' }));
        t('a schema without context.token: the request still validates and is allowed',
            nativeIs(r, 'allow') && !r.json.error, show(r.text));
    });
    await withDaemon(ctx, t, [], SCHEMA_TOKEN, async (daemon, keys) => {
        let r = await ask(daemon, native(uid('Svc', 'billing'), 'read'), sign(keys, { env: 'prod' }));
        t('a schema declaring context.token: the claims reach the policy', nativeIs(r, 'allow'), show(r.text));
        r = await ask(daemon, native(uid('Svc', 'billing'), 'read'), sign(keys, { env: 'prod', extra: 1 }));
        t('... and are validated: an undeclared claim is a request error (deny)',
            nativeIs(r, 'deny') && /extra/.test(r.json.error), show(r.text));
    }, POLICIES_TOKEN);
}

async function waitLog(daemon, re, from) {
    const until = Date.now() + WAIT_MS;
    while (Date.now() < until) {
        if (re.test(daemon.log().slice(from))) return true;
        await sleep(50);
    }
    return false;
}

async function rotation(ctx, t) {
    await withDaemon(ctx, t, [], null, async (daemon, keys, dir) => {
        const next = makeKeys('2');
        const body = native(uid('Svc', 'billing'), 'read');
        fs.writeFileSync(path.join(dir, 'jwks.json'), JSON.stringify(next.jwks));
        const mark = daemon.log().length;
        daemon.signal('SIGHUP');
        t('SIGHUP reloads', await waitLog(daemon, /SIGHUP: serving policy set/, mark), daemon.log());
        let r = await ask(daemon, body, sign(next.keys, { env: 'prod' }));
        t('after the reload a token of the new key is allowed', nativeIs(r, 'allow'), show(r.text));
        r = await ask(daemon, body, sign(keys, { env: 'prod' }));
        t('after the reload a token of the old key is refused', nativeIs(r, 'deny', 'unknown_kid'), show(r.text));
    });
}

async function run(ctx) {
    const parts = {
        'identity: good tokens': goodTokens,
        'identity: bad tokens': badTokens,
        'identity: must_match and required': mustMatch,
        'identity: schema and context.token': schemaAndToken,
        'identity: JWKS reload': rotation,
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

module.exports = { run, makeKeys, sign, ISS, AUD };
