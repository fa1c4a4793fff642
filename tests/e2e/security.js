'use strict';
/*
 * security.js — the daemon's credentials and transport, in a scratch copy of
 * the certification example (lifecycle.js's):
 *   - SIGHUP re-reads the admin token file: after a rotation the new token
 *     works and the old one is refused; a token file that is gone closes the
 *     admin API (401 for everyone) while decisions go on;
 *   - the TLS listener (tls_listen, tls_cert, tls_key) answers over TLS 1.3
 *     and 1.2, with a self-signed certificate made here by the openssl tool,
 *     and refuses TLS 1.1; the plain listener keeps working beside it.
 */

const { execFileSync } = require('child_process');
const fs = require('fs');
const path = require('path');
const { show } = require('./tally');
const { scratch, TOKEN, BOB_WRITE } = require('./lifecycle');

const WAIT_MS = 8000;
const ADMIN = '/v1/admin/policies';
const ROTATED = 'e2e-rotated-token-9876543210';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const bearer = (tok) => ({ Authorization: `Bearer ${tok}` });

/* Wait until the daemon's log has grown a line matching re (after `from` bytes). */
async function waitLog(daemon, re, from) {
    const until = Date.now() + WAIT_MS;
    while (Date.now() < until) {
        if (re.test(daemon.log().slice(from))) return true;
        await sleep(50);
    }
    return false;
}

async function adminStatus(daemon, token) {
    return (await daemon.request({ path: ADMIN, headers: bearer(token) })).status;
}

async function tokenRotation(ctx, t) {
    const dir = scratch(ctx.root, 0);
    const daemon = await ctx.start(path.join(dir, 'portcullis.conf'));
    try {
        t('before: the token works', (await adminStatus(daemon, TOKEN)) === 200);
        fs.writeFileSync(path.join(dir, 'token'), ROTATED + '\n');
        let mark = daemon.log().length;
        daemon.signal('SIGHUP');
        t('SIGHUP re-reads the token file', await waitLog(daemon, /admin token re-read/, mark), daemon.log());
        t('after the rotation: the new token works', (await adminStatus(daemon, ROTATED)) === 200);
        t('after the rotation: the old token is refused', (await adminStatus(daemon, TOKEN)) === 401);
        fs.rmSync(path.join(dir, 'token'));
        mark = daemon.log().length;
        daemon.signal('SIGHUP');
        t('a missing token file is logged', await waitLog(daemon, /admin API closed/, mark), daemon.log());
        const closed = await daemon.request({ path: ADMIN, headers: bearer(ROTATED) });
        t('without a readable token file nobody gets in', closed.status === 401 &&
            /disabled/.test(closed.json.error), show(closed.text));
        const res = await daemon.request({ path: '/access/v1/evaluation', body: BOB_WRITE });
        t('decisions go on meanwhile', res.status === 200 && res.json.decision === false, show(res.text));
    } finally {
        await daemon.stop();
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

/* A self-signed EC certificate for 127.0.0.1 in dir; false when there is no openssl tool. */
function makeCert(dir) {
    try {
        execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256',
            '-nodes', '-days', '2', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1',
            '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem')], { stdio: 'ignore' });
        return true;
    } catch (e) {
        return false;
    }
}

async function tlsListener(ctx, t) {
    const dir = scratch(ctx.root, 0);
    if (!makeCert(dir)) {
        t('the openssl tool makes a test certificate', false, 'openssl req failed or is not installed');
        fs.rmSync(dir, { recursive: true, force: true });
        return;
    }
    fs.appendFileSync(path.join(dir, 'portcullis.conf'),
        'tls_listen = 127.0.0.1:0\ntls_cert = cert.pem\ntls_key = key.pem\n');
    const daemon = await ctx.start(path.join(dir, 'portcullis.conf'));
    try {
        const m = /listening on https:\/\/127\.0\.0\.1:(\d+)/.exec(daemon.log());
        t('the TLS listener announces its port', !!m, daemon.log());
        if (!m) return;
        const ca = fs.readFileSync(path.join(dir, 'cert.pem'));
        const ask = (tls) => daemon.request({ port: Number(m[1]), ca, tls, path: '/access/v1/evaluation',
            body: Object.assign({}, BOB_WRITE, { action: { name: 'read' } }) });
        const v13 = await ask({});
        t('a decision over TLS 1.3', v13.status === 200 && v13.json.decision === true &&
            v13.tlsVersion === 'TLSv1.3' && /^[0-9a-f]{32}$/.test(v13.headers['x-decision-id'] || ''),
        `${v13.tlsVersion} ${show(v13.text)}`);
        const v12 = await ask({ maxVersion: 'TLSv1.2' });
        t('a decision over TLS 1.2', v12.status === 200 && v12.tlsVersion === 'TLSv1.2', `${v12.tlsVersion}`);
        const old = await ask({ minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT@SECLEVEL=0' })
            .then((r) => `answered over ${r.tlsVersion}`, () => 'refused');
        t('TLS 1.1 is refused', old === 'refused', old);
        const plain = await daemon.request({ path: '/healthz' });
        t('the plain listener still answers', plain.status === 200, show(plain.text));
    } finally {
        await daemon.stop();
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

async function run(ctx) {
    const parts = { 'admin token rotation': tokenRotation, 'TLS listener': tlsListener };
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
