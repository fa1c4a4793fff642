'use strict';
/*
 * peers.js — real MCP peers for the end-to-end tests: the SDK client, talking
 * through `portcullis mcp-proxy` to server-everything or server-filesystem.
 *
 * Every session started here is remembered; closing it (or the runner
 * exiting for any reason) stops the proxy and, if it somehow outlived the
 * proxy, the server, each by its PID. A session also reports whether both
 * were gone after an orderly close, which is itself a check: the proxy must
 * not leave its server behind.
 */

const fs = require('fs');
const path = require('path');
const { Client } = require('@modelcontextprotocol/sdk/client/index.js');
const { StdioClientTransport } = require('@modelcontextprotocol/sdk/client/stdio.js');

const MODULES = path.join(__dirname, 'node_modules', '@modelcontextprotocol');
const SERVERS = {
    everything: (dir) => [path.join(MODULES, 'server-everything', 'dist', 'index.js'), 'stdio'],
    fs: (dir) => [path.join(MODULES, 'server-filesystem', 'dist', 'index.js'), dir],
};
const GONE_WAIT_MS = 5000;
const HEALTHY_TIMEOUT_MS = 2000;

const open = new Set();

/* Is pid a live process (not gone, not a zombie waiting to be reaped)? */
function alive(pid) {
    try {
        const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
        return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
    } catch (e) {
        return false;
    }
}

/* The PIDs whose parent is pid. */
function childrenOf(pid) {
    const kids = [];
    for (const entry of fs.readdirSync('/proc')) {
        if (!/^\d+$/.test(entry)) continue;
        try {
            const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
            const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
            if (ppid === pid) kids.push(Number(entry));
        } catch (e) { /* it ended while we looked */ }
    }
    return kids;
}

function killQuietly(pid) {
    try { process.kill(pid, 'SIGKILL'); } catch (e) { /* already gone */ }
}

process.on('exit', () => {
    for (const s of open) s.pids().forEach(killQuietly);
});

/*
 * Connect an SDK client through the proxy. opts: { bin, pdp, server
 * ('everything' | 'fs'), principal (default Agent::"tester"), dir,
 * timeoutMs, flags (extra proxy flags),
 * capabilities, handlers: [[schema, fn], ...] }. Resolves to a session.
 * The PDP timeout defaults to a generous one: the suites that test the
 * healthy path should not fail because a sanitizer build is slow.
 */
async function connect(opts) {
    const [script, ...args] = SERVERS[opts.server](opts.dir);
    const transport = new StdioClientTransport({
        command: opts.bin,
        args: ['mcp-proxy', '--pdp', opts.pdp, '--principal', opts.principal || 'Agent::"tester"',
            '--server-name', opts.server, '--token-env', 'PC_E2E_AGENT_TOKEN',
            '--timeout-ms', String(opts.timeoutMs || HEALTHY_TIMEOUT_MS), ...(opts.flags || []), '--', process.execPath, script, ...args],
        env: Object.assign({}, process.env, { PC_E2E_AGENT_TOKEN: 'e2e-agent-token' }),
        stderr: 'pipe',
    });
    const session = { log: '', transport, serverPid: null };
    transport.stderr.on('data', (c) => { session.log += c; });
    const client = new Client({ name: 'portcullis-e2e', version: '1.0.0' },
        { capabilities: opts.capabilities || {} });
    for (const [schema, fn] of opts.handlers || []) client.setRequestHandler(schema, fn);
    session.client = client;
    session.pids = () => [transport.pid, session.serverPid].filter(Boolean);
    open.add(session);
    await client.connect(transport);
    session.proxyPid = transport.pid;
    session.serverPid = childrenOf(transport.pid)[0] || null;
    return session;
}

/* Close the client (stdin ends), then wait for proxy and server to be gone. */
async function close(session) {
    const pids = [session.proxyPid, session.serverPid].filter(Boolean);
    await session.client.close();
    const until = Date.now() + GONE_WAIT_MS;
    while (pids.some(alive) && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    const left = pids.filter(alive);
    left.forEach(killQuietly);
    open.delete(session);
    return { left, hadServer: session.serverPid !== null };
}

/* Close, and check that nothing was left running and no sanitizer spoke up. */
async function closeChecked(tally, suite, name, session) {
    const { left, hadServer } = await close(session);
    tally.check(suite, `${name}: proxy and server gone after close`, hadServer && left.length === 0,
        `left running: ${left.join(' ')}; proxy log:\n${session.log}`);
    tally.check(suite, `${name}: no sanitizer report from the proxy`,
        !/Sanitizer|runtime error/.test(session.log), session.log);
}

/* The JSON-RPC error a request ended with ({code, message, data}), or null if it succeeded. */
async function refusalOf(promise) {
    try {
        await promise;
        return null;
    } catch (e) {
        return { code: e.code, message: String(e.message), data: e.data };
    }
}

module.exports = { connect, closeChecked, refusalOf };
