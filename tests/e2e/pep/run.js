#!/usr/bin/env node
'use strict';
/*
 * run.js — end-to-end tests of the enforcement points: `portcullis mcp-proxy`
 * between the real MCP SDK client and real MCP servers from npm, and
 * `portcullis exec`, both asking the real daemon on 127.0.0.1.
 *
 *   node tests/e2e/pep/run.js [--bin PATH]
 *
 * Needs `npm ci` in this directory (package-lock.json pins the peers).
 * --bin defaults to build/src/cli/portcullis. Each run gets a temporary
 * directory with the policies (pdp/, @DATA_DIR@ and @WORK_DIR@ filled in),
 * the daemon's Unix socket, its approvals.db and the filesystem server's data. Prints every
 * failed check and ends with "N passed, N failed"; exits 1 on any failure.
 * The daemon, the chaos PDP and every proxy are stopped by PID on the way out.
 */

const fs = require('fs');
const os = require('os');
const path = require('path');
const daemon = require('../daemon');
const { Tally } = require('../tally');

const ROOT = path.resolve(__dirname, '../../..');
const SUITES = [require('./mcp'), require('./approval'), require('./failclosed'), require('./exec')];

function parseArgs(argv) {
    let bin = path.join(ROOT, 'build/src/cli/portcullis');
    for (let i = 0; i < argv.length; i += 2) {
        if (argv[i] === '--bin' && argv[i + 1]) bin = path.resolve(argv[i + 1]);
        else throw new Error(`unknown argument ${argv[i]} (see the top of ${__filename})`);
    }
    if (!fs.existsSync(bin)) throw new Error(`no portcullis binary at ${bin}: build first or pass --bin`);
    return { bin };
}

/* A temporary directory holding the policy directory (filled in), the data and approvals.db. */
function makeWorkspace() {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pc-pep-e2e-'));
    const dataDir = path.join(tmp, 'data');
    const pdpDir = path.join(tmp, 'pdp');
    fs.mkdirSync(dataDir);
    fs.mkdirSync(pdpDir);
    fs.writeFileSync(path.join(dataDir, 'a.txt'), 'hello from data\n');
    for (const f of fs.readdirSync(path.join(__dirname, 'pdp'))) {
        const text = fs.readFileSync(path.join(__dirname, 'pdp', f), 'utf8');
        fs.writeFileSync(path.join(pdpDir, f),
            text.split('@DATA_DIR@').join(dataDir).split('@WORK_DIR@').join(tmp));
    }
    return { tmp, dataDir, approvalsDb: path.join(tmp, 'approvals.db'), conf: path.join(pdpDir, 'portcullis.conf'), sock: path.join(tmp, 'pdp.sock') };
}

async function main() {
    const { bin } = parseArgs(process.argv.slice(2));
    const ws = makeWorkspace();
    const tally = new Tally();
    const startDaemon = () => daemon.start(bin, ws.conf, ['--unix', ws.sock]);
    const ctx = {
        bin, tally, tmp: ws.tmp, dataDir: ws.dataDir, approvalsDb: ws.approvalsDb,
        unixPdp: `unix:${ws.sock}`,
        daemon: await startDaemon(),
        tcpPdp: () => `http://127.0.0.1:${ctx.daemon.port}`,
        /* SIGKILL the daemon (no clean-up: its socket file stays) and wait for it. */
        killDaemon: async () => {
            ctx.daemon.signal('SIGKILL');
            await ctx.daemon.stop();
        },
        restartDaemon: async () => { ctx.daemon = await startDaemon(); },
    };
    try {
        for (const suite of SUITES) {
            try {
                await suite.run(ctx);
            } catch (e) {
                tally.broken(suite.name, e);
            }
        }
    } finally {
        await ctx.daemon.stop();
        fs.rmSync(ws.tmp, { recursive: true, force: true });
    }
    tally.summary();
    process.exitCode = tally.failed ? 1 : 0;
}

main().catch((e) => {
    console.log(String(e && e.stack || e));
    console.log('0 passed, 1 failed');
    process.exitCode = 1;
});
