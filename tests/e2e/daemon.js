'use strict';
/*
 * daemon.js — start and stop a real `portcullis serve` for the end-to-end
 * tests, and talk HTTP to it.
 *
 * The daemon is started with `--listen 127.0.0.1:0`, so the kernel picks a
 * free port; we read the port from the daemon's "listening on" log line.
 * Every daemon started here is remembered and stopped by its PID (SIGTERM,
 * then SIGKILL after a grace period) when the test ends or the runner exits
 * for any reason, so no process outlives the run.
 */

const { spawn } = require('child_process');
const http = require('http');
const https = require('https');

const START_TIMEOUT_MS = 10000;
const STOP_GRACE_MS = 5000;

const running = new Set();

/* Stop every daemon still running: the runner's last act, whatever happened. */
function stopAllSync() {
    for (const d of running) {
        try { process.kill(d.child.pid, 'SIGKILL'); } catch (e) { /* already gone */ }
    }
    running.clear();
}
process.on('exit', stopAllSync);
for (const sig of ['SIGINT', 'SIGTERM']) {
    process.on(sig, () => { stopAllSync(); process.exit(130); });
}

/*
 * Start `bin serve --config conf [extra...]`; resolves to a daemon handle
 * { port, child, log(), request(), stop() } once it listens.
 */
function start(bin, conf, extra = []) {
    const args = ['serve', '--config', conf, '--listen', '127.0.0.1:0', ...extra];
    const child = spawn(bin, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    const d = { child, port: 0, stderr: '', exited: null };
    running.add(d);
    d.exitPromise = new Promise((resolve) => child.on('exit', (code, sig) => {
        d.exited = { code, sig };
        running.delete(d);
        resolve(d.exited);
    }));
    child.stderr.setEncoding('utf8');
    return new Promise((resolve, reject) => {
        const timer = setTimeout(() => fail(`no "listening on" line within ${START_TIMEOUT_MS} ms`),
            START_TIMEOUT_MS);
        function fail(why) {
            clearTimeout(timer);
            stop(d).then(() => reject(new Error(`${bin} ${args.join(' ')}: ${why}\n${d.stderr}`)));
        }
        child.on('error', (e) => fail(e.message));
        child.on('exit', () => { if (!d.port) fail('exited before listening'); });
        child.stderr.on('data', (chunk) => {
            d.stderr += chunk;
            const m = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(d.stderr);
            if (m && !d.port) {
                d.port = Number(m[1]);
                clearTimeout(timer);
                resolve(handle(d));
            }
        });
    });
}

/* SIGTERM, wait; SIGKILL if it does not stop in time. Resolves with the exit status. */
async function stop(d) {
    if (d.exited) return d.exited;
    try { process.kill(d.child.pid, 'SIGTERM'); } catch (e) { /* gone */ }
    const timer = setTimeout(() => {
        try { process.kill(d.child.pid, 'SIGKILL'); } catch (e) { /* gone */ }
    }, STOP_GRACE_MS);
    const status = await d.exitPromise;
    clearTimeout(timer);
    return status;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });

/*
 * One HTTP exchange. opts: { method, path, headers, body (object: JSON;
 * string: raw), chunked (send without Content-Length), expectContinue (send
 * the body only once the server says 100 Continue, as curl does for large
 * bodies), socketPath, port, ca (speak TLS, trusting this PEM certificate),
 * tls (extra TLS options such as maxVersion) }. Resolves to { status,
 * headers, text, json, tlsVersion }.
 */
function request(opts) {
    const body = opts.body === undefined ? undefined
        : typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
    const headers = Object.assign({}, opts.headers || {});
    if (body !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) {
        headers['Content-Type'] = 'application/json';
    }
    if (body !== undefined && !opts.chunked) headers['Content-Length'] = Buffer.byteLength(body);
    if (opts.expectContinue) headers.Expect = '100-continue';
    const target = opts.socketPath ? { socketPath: opts.socketPath }
        : opts.ca ? Object.assign({ host: '127.0.0.1', port: opts.port, ca: opts.ca, agent: false }, opts.tls)
            : { host: '127.0.0.1', port: opts.port, agent };
    return new Promise((resolve, reject) => {
        const req = (opts.ca ? https : http).request(Object.assign(target, {
            method: opts.method || (body === undefined ? 'GET' : 'POST'),
            path: opts.path,
            headers,
        }), (res) => {
            let text = '';
            res.setEncoding('utf8');
            res.on('data', (c) => { text += c; });
            res.on('end', () => {
                let json;
                try { json = JSON.parse(text); } catch (e) { json = undefined; }
                if (!req.writableFinished) req.destroy();   /* answered before the body was sent */
                const tlsVersion = res.socket && res.socket.getProtocol ? res.socket.getProtocol() : null;
                resolve({ status: res.statusCode, headers: res.headers, text, json, tlsVersion });
            });
        });
        req.on('error', reject);
        if (opts.expectContinue) {
            req.on('continue', () => req.end(body));
        } else {
            if (body !== undefined) req.write(body);
            req.end();
        }
    });
}

function handle(d) {
    return {
        port: d.port,
        pid: d.child.pid,
        log: () => d.stderr,
        request: (opts) => request(Object.assign({ port: d.port }, opts)),
        signal: (sig) => process.kill(d.child.pid, sig),
        stop: () => stop(d),
        alive: () => !d.exited,
    };
}

module.exports = { start, request };
