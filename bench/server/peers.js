'use strict';
/*
 * peers.js — start and stop the three servers `make bench-server` measures:
 * Portcullis (`portcullis serve`), Cerbos (`cerbos server`) and the HTTP floor
 * (portcullis-bench-floor), each on a free loopback port.
 *
 * Each server is started as a child process and known by its PID; stop()
 * sends SIGTERM, then SIGKILL after a grace period, and every child still
 * running when the runner exits (for any reason) is killed by its PID, so no
 * server outlives the run. A server is ready when its log names its port
 * (Portcullis, floor) or its health endpoint answers (Cerbos).
 */

const { spawn } = require('child_process');
const net = require('net');

const START_TIMEOUT_MS = 30000;
const STOP_GRACE_MS = 5000;
const POLL_MS = 100;

const running = new Set();
process.on('exit', () => {
    for (const p of running) {
        try { process.kill(p.child.pid, 'SIGKILL'); } catch (e) { /* already gone */ }
    }
});
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(130));

/* A port nobody listens on now (the kernel's pick; free again once we close it). */
function freePort() {
    return new Promise((resolve, reject) => {
        const srv = net.createServer();
        srv.on('error', reject);
        srv.listen(0, '127.0.0.1', () => {
            const { port } = srv.address();
            srv.close(() => resolve(port));
        });
    });
}

function launch(name, cmd, args, env) {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: Object.assign({}, process.env, env) });
    const p = { name, child, log: '', exited: null };
    running.add(p);
    p.exit = new Promise((resolve) => child.on('exit', (code, sig) => {
        p.exited = { code, sig };
        running.delete(p);
        resolve(p.exited);
    }));
    child.on('error', (e) => { p.log += `\n${e.message}`; });
    for (const s of [child.stdout, child.stderr]) {
        s.setEncoding('utf8');
        s.on('data', (c) => { p.log += c; });
    }
    return p;
}

async function stop(p) {
    if (p.exited) return p.exited;
    try { process.kill(p.child.pid, 'SIGTERM'); } catch (e) { /* gone */ }
    const timer = setTimeout(() => {
        try { process.kill(p.child.pid, 'SIGKILL'); } catch (e) { /* gone */ }
    }, STOP_GRACE_MS);
    const status = await p.exit;
    clearTimeout(timer);
    return status;
}

/* Poll until ready() gives a port (or true), the process dies, or time runs out. */
async function waitReady(p, ready) {
    const deadline = Date.now() + START_TIMEOUT_MS;
    while (Date.now() < deadline) {
        if (p.exited) break;
        const port = await ready();
        if (port) return port;
        await new Promise((r) => setTimeout(r, POLL_MS));
    }
    await stop(p);
    throw new Error(`${p.name} did not become ready within ${START_TIMEOUT_MS} ms:\n${p.log}`);
}

/* A server that logs "listening on ...127.0.0.1:PORT" once it is up. */
async function startLogged(name, cmd, args) {
    const p = launch(name, cmd, args);
    p.port = await waitReady(p, async () => {
        const m = /listening on (?:http:\/\/)?127\.0\.0\.1:(\d+)/.exec(p.log);
        return m && Number(m[1]);
    });
    return p;
}

function portcullis(bin, config) {
    return startLogged('portcullis', bin, ['serve', '--config', config, '--listen', '127.0.0.1:0']);
}

function floor(bin, threads) {
    return startLogged('floor', bin, ['0', String(threads)]);
}

/*
 * Cerbos with our config and policies, on `threads` cores (GOMAXPROCS);
 * limits raised so a batch of `batch` items with distinct resources is
 * allowed (its defaults stop at 50).
 */
async function cerbos(bin, config, policies, batch, threads) {
    const [http, grpc] = [await freePort(), await freePort()];
    const p = launch('cerbos', bin, ['server', `--config=${config}`, '--log-level=error',
        `--set=server.httpListenAddr=127.0.0.1:${http}`,
        `--set=server.grpcListenAddr=127.0.0.1:${grpc}`,
        `--set=server.requestLimits.maxResourcesPerRequest=${Math.max(batch, 50)}`,
        '--set=server.requestLimits.maxActionsPerResource=50'],
    { CERBOS_BENCH_POLICIES: policies, GOMAXPROCS: String(threads) });
    p.port = await waitReady(p, async () => {
        try {
            const res = await fetch(`http://127.0.0.1:${http}/_cerbos/health`);
            return res.status === 200 && http;
        } catch (e) {
            return false;
        }
    });
    return p;
}

/* CPU seconds (user + system) the process has used so far, from /proc. */
function cpuSeconds(p) {
    const stat = require('fs').readFileSync(`/proc/${p.child.pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);   /* utime, stime */
    return ticks / CLOCK_TICKS;
}
const CLOCK_TICKS = 100;   /* sysconf(_SC_CLK_TCK) on Linux, for every current architecture */

module.exports = { portcullis, floor, cerbos, stop, cpuSeconds };
