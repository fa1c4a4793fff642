'use strict';
/*
 * exec.js — `portcullis exec` as a CI step: a release pipeline may use the
 * signing key only from main on an approved runner. The command (touching a
 * marker file) runs on allow only; deny exits 3, a PDP that is down, slow or
 * answering garbage exits 4, and in none of those does the marker appear.
 */

const fs = require('fs');
const net = require('net');
const path = require('path');
const { execFile } = require('child_process');
const { Chaos } = require('./chaos');

const NAME = 'exec';
const TIMEOUT_MS = 250;

/* Run `portcullis exec ... -- touch marker`; resolves to { code, stderr, ran }. */
function execSign(ctx, pdp, context, marker) {
    fs.rmSync(marker, { force: true });
    const args = ['exec', '--pdp', pdp, '--timeout-ms', String(TIMEOUT_MS),
        '--principal', 'Pipeline::"release"', '--action', 'Action::"sign"', '--resource', 'Key::"release"',
        '--context', JSON.stringify(context), '--', 'touch', marker];
    return new Promise((resolve) => {
        execFile(ctx.bin, args, (err, stdout, stderr) => {
            resolve({ code: err ? err.code : 0, stderr, ran: fs.existsSync(marker) });
        });
    });
}

/* A port with nothing listening: bind one, then let it go. */
function deadPort() {
    return new Promise((resolve) => {
        const srv = net.createServer().listen(0, '127.0.0.1', () => {
            const { port } = srv.address();
            srv.close(() => resolve(port));
        });
    });
}

function expect(t, name, r, code, pattern) {
    t.check(NAME, name, r.code === code && r.ran === (code === 0) && pattern.test(r.stderr),
        `exit ${r.code}, ran ${r.ran}, stderr: ${r.stderr}`);
}

async function run(ctx) {
    const t = ctx.tally;
    const marker = path.join(ctx.tmp, 'signed');
    const good = { branch: 'main', runner: 'approved' };
    expect(t, 'allowed over TCP: the command runs', await execSign(ctx, ctx.tcpPdp(), good, marker), 0,
        /allowed/);
    expect(t, 'allowed over the Unix socket: the command runs',
        await execSign(ctx, ctx.unixPdp, good, marker), 0, /allowed/);
    expect(t, 'feature branch: denied, exit 3, not run',
        await execSign(ctx, ctx.tcpPdp(), { branch: 'feature', runner: 'approved' }, marker), 3, /denied/);
    expect(t, 'PDP down: exit 4, not run',
        await execSign(ctx, `http://127.0.0.1:${await deadPort()}`, good, marker), 4,
        /authorization unavailable/);
    const chaos = await new Chaos(ctx.daemon.port).start();
    try {
        for (const mode of ['garbage', 'shape', 'error', 'hang']) {
            chaos.mode = mode;
            expect(t, `PDP ${mode}: exit 4, not run`, await execSign(ctx, chaos.url, good, marker), 4,
                /authorization unavailable/);
        }
        chaos.mode = 'pass';
        expect(t, 'PDP back: the command runs', await execSign(ctx, chaos.url, good, marker), 0, /allowed/);
    } finally {
        await chaos.stop();
    }
}

module.exports = { name: NAME, run };
