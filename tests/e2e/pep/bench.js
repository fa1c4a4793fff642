#!/usr/bin/env node
'use strict';
/*
 * bench.js — what `portcullis mcp-proxy` adds to a tools/call: the same
 * calls made straight to an MCP server and through the proxy (which asks
 * the real daemon over its Unix socket, or TCP with --tcp), one at a time,
 * reporting p50 and p99 of each and of the difference.
 *
 *   node tests/e2e/pep/bench.js [--bin PATH] [--calls N] [--tcp]
 *
 * The server is server-everything's echo tool; the client writes raw
 * JSON-RPC lines, so neither side's SDK overhead hides the proxy's. Ends
 * with a line "proxy adds: p50 X us, p99 Y us". Every process it starts is
 * stopped by PID.
 */

const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawn } = require('child_process');
const daemon = require('../daemon');

const ROOT = path.resolve(__dirname, '../../..');
const SERVER = [path.join(__dirname, 'node_modules/@modelcontextprotocol/server-everything/dist/index.js'), 'stdio'];
const WARMUP = 200;

function parseArgs(argv) {
    const o = { bin: path.join(ROOT, 'build/src/cli/portcullis'), calls: 3000, tcp: false };
    for (let i = 0; i < argv.length; i++) {
        if (argv[i] === '--bin') o.bin = path.resolve(argv[++i]);
        else if (argv[i] === '--calls') o.calls = Number(argv[++i]);
        else if (argv[i] === '--tcp') o.tcp = true;
        else throw new Error(`unknown argument ${argv[i]}`);
    }
    return o;
}

/* A peer speaking newline-delimited JSON-RPC on a child's stdio. */
class Peer {
    constructor(cmd, args) {
        this.child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'ignore'] });
        this.buf = '';
        this.waiting = new Map();
        this.nextId = 1;
        this.child.stdout.setEncoding('utf8');
        this.child.stdout.on('data', (chunk) => this.onData(chunk));
    }

    onData(chunk) {
        this.buf += chunk;
        let nl;
        while ((nl = this.buf.indexOf('\n')) >= 0) {
            const msg = JSON.parse(this.buf.slice(0, nl));
            this.buf = this.buf.slice(nl + 1);
            const w = this.waiting.get(msg.id);
            if (w && (msg.result || msg.error)) {
                this.waiting.delete(msg.id);
                w(msg);
            }
        }
    }

    request(method, params) {
        const id = this.nextId++;
        return new Promise((resolve) => {
            this.waiting.set(id, resolve);
            this.child.stdin.write(JSON.stringify({ jsonrpc: '2.0', id, method, params }) + '\n');
        });
    }

    async init() {
        await this.request('initialize', { protocolVersion: '2025-06-18', capabilities: {},
            clientInfo: { name: 'bench', version: '1' } });
        this.child.stdin.write('{"jsonrpc":"2.0","method":"notifications/initialized"}\n');
    }

    stop() {
        this.child.stdin.end();
        const pid = this.child.pid;
        setTimeout(() => { try { process.kill(pid, 'SIGKILL'); } catch (e) { /* gone */ } }, 3000).unref();
        return new Promise((resolve) => this.child.once('exit', resolve));
    }
}

/* Microseconds per call, sorted. */
async function measure(peer, calls) {
    const times = [];
    for (let i = 0; i < WARMUP + calls; i++) {
        const t0 = process.hrtime.bigint();
        const ans = await peer.request('tools/call', { name: 'echo', arguments: { message: `m${i}` } });
        const us = Number(process.hrtime.bigint() - t0) / 1000;
        if (!ans.result) throw new Error(`call failed: ${JSON.stringify(ans)}`);
        if (i >= WARMUP) times.push(us);
    }
    return times.sort((a, b) => a - b);
}

const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];

async function main() {
    const o = parseArgs(process.argv.slice(2));
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pc-pep-bench-'));
    const conf = path.join(tmp, 'portcullis.conf');
    fs.writeFileSync(path.join(tmp, 'allow.cedar'),
        'permit (principal, action == Action::"call_tool", resource == Tool::"bench/echo");\n');
    fs.writeFileSync(conf, 'policy_dir = .\nreload_poll_ms = 0\n');
    const d = await daemon.start(o.bin, conf, ['--unix', path.join(tmp, 'pdp.sock')]);
    const pdp = o.tcp ? `http://127.0.0.1:${d.port}` : `unix:${path.join(tmp, 'pdp.sock')}`;
    const peers = [];
    try {
        const direct = new Peer(process.execPath, SERVER);
        const proxied = new Peer(o.bin, ['mcp-proxy', '--pdp', pdp, '--principal', 'Agent::"bench"',
            '--server-name', 'bench', '--quiet', '--', process.execPath, ...SERVER]);
        peers.push(direct, proxied);
        await direct.init();
        await proxied.init();
        const a = await measure(direct, o.calls);
        const b = await measure(proxied, o.calls);
        const show = (name, t) => console.log(`${name.padEnd(28)} p50 ${pct(t, 0.5).toFixed(0)} us, p99 ${pct(t, 0.99).toFixed(0)} us`);
        show('direct to the server', a);
        show(`through the proxy (${o.tcp ? 'TCP' : 'Unix socket'})`, b);
        console.log(`proxy adds: p50 ${(pct(b, 0.5) - pct(a, 0.5)).toFixed(0)} us, ` +
            `p99 ${(pct(b, 0.99) - pct(a, 0.99)).toFixed(0)} us (${o.calls} calls each)`);
    } finally {
        await Promise.all(peers.map((p) => p.stop()));
        await d.stop();
        fs.rmSync(tmp, { recursive: true, force: true });
    }
}

main().catch((e) => {
    console.error(e);
    process.exitCode = 1;
});
