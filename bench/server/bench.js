#!/usr/bin/env node
'use strict';
/*
 * bench.js — the runner of `make bench-server` (bench/server/run.sh builds
 * and installs what it needs, then calls this).
 *
 *   node bench/server/bench.js --portcullis BIN --floor BIN --cerbos BIN [options]
 *
 * One run, three servers on loopback: Portcullis serving the Todo scenario
 * (examples/authzen/todo), Cerbos 0.55 with the equivalent policies in
 * bench/server/cerbos, and the HTTP floor (floor.c: libmicrohttpd with our
 * threading and a fixed answer). Each endpoint is a phase of its own, with
 * its own server threads:
 *   evaluation   single decisions. One wrk thread is a busy client, so the
 *                servers get one thread (Cerbos: GOMAXPROCS=1): on two
 *                cores a second server thread would only fight the client.
 *   evaluations  batches. The client is nearly idle; the servers get both
 *                cores (two threads; GOMAXPROCS=2).
 * In each phase every benchmarked request is first sent to Portcullis and
 * Cerbos and their decisions compared (with each other, and with the
 * vectors' expected answers); any difference stops the run. Then wrk drives
 * the three servers in turn, round after round (each run after a short
 * warm-up), so a burst of load from elsewhere on the machine lands on one
 * round rather than on one server; the table gives each figure's median over
 * the rounds: req/s, decisions/s, p50 and p99 latency, and the server's CPU
 * time per request (user + system, from /proc). The ratios follow, each with
 * its target.
 *
 * Options (run.sh maps BENCH_* variables onto them):
 *   --seconds N         measured seconds per run                   [4]
 *   --rounds N          runs per server and endpoint               [3]
 *   --warmup N          warm-up seconds before each run            [1]
 *   --connections N     wrk connections                            [16]
 *   --wrk-threads N     wrk threads                                [1]
 *   --batch N           items per batch request                    [100]
 *   --single-threads N  server threads, evaluation phase           [1]
 *   --batch-threads N   server threads, evaluations phase          [CPUs]
 *   --vectors DIR       AuthZEN vectors    [../shared/conformance/authzen]
 *   --json FILE         also write the results as JSON
 * Exits 1 when the servers disagree, a server fails, or wrk saw errors;
 * missing a target is reported, not an error.
 */

const { execFile } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const peers = require('./peers');
const requests = require('./requests');

const HERE = __dirname;
const ROOT = path.resolve(HERE, '../..');
const TODO = path.join(ROOT, 'examples/authzen/todo');

const TARGETS = {
    cerbosSpeedup: 10,      /* Portcullis req/s at least this many times Cerbos's */
    cerbosP99: 0.1,         /* Portcullis p99 at most this fraction of Cerbos's */
    floorShare: 0.8,        /* Portcullis req/s at least this share of the floor's */
    batchDecisions: 1e6,    /* decisions/s on the batch endpoint */
};

function parseArgs(argv) {
    const o = {
        seconds: 4, rounds: 3, warmup: 1, connections: 16, wrkThreads: 1, batch: 100,
        singleThreads: 1, batchThreads: os.cpus().length,
        vectors: path.resolve(ROOT, '../shared/conformance/authzen'),
        json: null, portcullis: null, floor: null, cerbos: null,
    };
    const numeric = { '--seconds': 'seconds', '--rounds': 'rounds', '--warmup': 'warmup',
        '--connections': 'connections', '--wrk-threads': 'wrkThreads', '--batch': 'batch',
        '--single-threads': 'singleThreads', '--batch-threads': 'batchThreads' };
    const paths = { '--vectors': 'vectors', '--json': 'json', '--portcullis': 'portcullis',
        '--floor': 'floor', '--cerbos': 'cerbos' };
    for (let i = 0; i < argv.length; i += 2) {
        const [flag, value] = [argv[i], argv[i + 1]];
        if (value === undefined) throw new Error(`${flag} needs a value`);
        if (numeric[flag]) {
            if (!/^[0-9]+$/.test(value) || Number(value) < 1) throw new Error(`${flag} ${value}: expected a whole number >= 1`);
            o[numeric[flag]] = Number(value);
        } else if (paths[flag]) {
            o[paths[flag]] = path.resolve(value);
        } else {
            throw new Error(`unknown option ${flag} (see the top of ${__filename})`);
        }
    }
    for (const k of ['portcullis', 'floor', 'cerbos']) {
        if (!o[k] || !fs.existsSync(o[k])) throw new Error(`--${k}: no such program: ${o[k]}`);
    }
    return o;
}

/*
 * The Todo example's config with its policy directory made absolute and the
 * phase's thread count: the example itself leaves threads to the CPU count.
 */
function todoConfig(work, threads) {
    const lines = fs.readFileSync(path.join(TODO, 'portcullis.conf'), 'utf8').split('\n')
        .filter((l) => !/^\s*(threads|listen|policy_dir)\s*=/.test(l));
    const file = path.join(work, `todo-${threads}.conf`);
    fs.writeFileSync(file, [...lines, `policy_dir = ${TODO}`, `threads = ${threads}`, ''].join('\n'));
    return file;
}

/* wrk against one URL with one bodies file; resolves to post.lua's JSON line. */
function wrk(o, url, bodies, apiPath, seconds) {
    const args = ['-t', String(o.wrkThreads), '-c', String(o.connections), '-d', `${seconds}s`,
        '-s', path.join(HERE, 'post.lua'), url, '--', bodies, apiPath];
    return new Promise((resolve, reject) => {
        execFile('wrk', args, { timeout: (seconds + 30) * 1000 }, (err, stdout, stderr) => {
            if (err) return reject(new Error(`wrk ${args.join(' ')}: ${err.message}\n${stderr}`));
            const line = stdout.split('\n').filter((l) => l.startsWith('{')).pop();
            if (!line) return reject(new Error(`wrk printed no result:\n${stdout}${stderr}`));
            resolve(JSON.parse(line));
        });
    });
}

/* One warmed-up run of one server on one endpoint. */
async function run(o, server, endpoint) {
    const url = `http://127.0.0.1:${server.port}${endpoint.path}`;
    await wrk(o, url, endpoint.bodies, endpoint.path, o.warmup);
    const cpu0 = peers.cpuSeconds(server);
    const r = await wrk(o, url, endpoint.bodies, endpoint.path, o.seconds);
    const cpu = peers.cpuSeconds(server) - cpu0;
    const secs = r.duration_us / 1e6;
    return {
        errors: r.socket_errors + r.status_errors,
        rps: r.requests / secs,
        dps: (r.requests * endpoint.decisions) / secs,
        p50_us: r.p50_us, p99_us: r.p99_us,
        cpu_us_per_request: r.requests ? (cpu * 1e6) / r.requests : 0,
    };
}

function median(xs) {
    const s = [...xs].sort((a, b) => a - b);
    return s[Math.floor(s.length / 2)];
}

/* Each server o.rounds times, in turn; each figure is its median over the rounds. */
async function measure(o, servers, endpoint) {
    const runs = servers.map(() => []);
    for (let round = 0; round < o.rounds; round++) {
        for (const [i, server] of servers.entries()) runs[i].push(await run(o, server, endpoint));
    }
    return servers.map((server, i) => {
        const rs = runs[i];
        const pick = (k) => median(rs.map((r) => r[k]));
        return {
            server: server.name, endpoint: endpoint.name, threads: endpoint.threads,
            errors: rs.reduce((n, r) => n + r.errors, 0), rps: pick('rps'), dps: pick('dps'),
            p50_us: pick('p50_us'), p99_us: pick('p99_us'),
            cpu_us_per_request: pick('cpu_us_per_request'),
        };
    });
}

/* Start the three servers with the phase's threads; the decision check comes first. */
async function phase(o, work, set, endpoint) {
    const servers = [];
    try {
        servers.push(await peers.portcullis(o.portcullis, todoConfig(work, endpoint.threads)));
        servers.push(await peers.cerbos(o.cerbos, path.join(HERE, 'cerbos/config.yaml'),
            path.join(HERE, 'cerbos/policies'), o.batch, endpoint.threads));
        servers.push(await peers.floor(o.floor, endpoint.threads));
        const check = await requests.verify(set, { portcullis: servers[0].port, cerbos: servers[1].port });
        if (check.problems.length) {
            const lines = check.problems.slice(0, 20).map((p) => `  ${p}`).join('\n');
            throw new Error(`Portcullis and Cerbos disagree (${check.problems.length} of ` +
                `${check.checked} decisions):\n${lines}`);
        }
        console.log(`${endpoint.name}: ${check.checked} decisions checked, Portcullis and Cerbos agree ` +
            `and match the vectors; ${endpoint.threads} server thread(s)`);
        return await measure(o, servers, endpoint);
    } finally {
        for (const s of servers) await peers.stop(s);
    }
}

function fmtCount(n) {
    if (n >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
    if (n >= 1e4) return `${(n / 1e3).toFixed(1)}k`;
    return n.toFixed(0);
}

function fmtUs(us) {
    return us >= 1000 ? `${(us / 1000).toFixed(2)} ms` : `${us} us`;
}

function table(results) {
    const rows = [['endpoint', 'server', 'threads', 'req/s', 'decisions/s', 'p50', 'p99', 'server CPU/req']];
    for (const r of results) {
        rows.push([r.endpoint, r.server, String(r.threads), fmtCount(r.rps),
            r.server === 'floor' ? '-' : fmtCount(r.dps), fmtUs(r.p50_us), fmtUs(r.p99_us),
            `${r.cpu_us_per_request.toFixed(1)} us`]);
    }
    const widths = rows[0].map((_, c) => Math.max(...rows.map((row) => row[c].length)));
    for (const row of rows) console.log(row.map((cell, c) => cell.padEnd(widths[c])).join('  '));
}

function verdict(ok) {
    return ok ? 'met' : 'MISSED';
}

/*
 * The ratios and targets; returns them as data for --json too. The floor
 * answers a batch with one fixed body, so its req/s bounds single
 * evaluations only; for batches the share is shown, not judged. The
 * CPU-bound capacity (decisions per second if the server had the cores to
 * itself: cores / CPU time per decision) is shown beside the measured rate,
 * which also depends on the client and on anything else running.
 */
function ratios(results, cores) {
    const get = (server, endpoint) => results.find((r) => r.server === server && r.endpoint === endpoint);
    const out = [];
    for (const endpoint of ['evaluation', 'evaluations']) {
        const [p, c, f] = ['portcullis', 'cerbos', 'floor'].map((s) => get(s, endpoint));
        const speedup = p.rps / c.rps, p99 = p.p99_us / c.p99_us, share = p.rps / f.rps;
        const capacity = p.cpu_us_per_request ? (cores * 1e6 * p.dps) / (p.rps * p.cpu_us_per_request) : 0;
        out.push({ endpoint, speedup, p99, share, dps: p.dps, capacity });
        const judged = endpoint === 'evaluation';
        console.log(`${endpoint}:`);
        console.log(`  req/s vs Cerbos     ${speedup.toFixed(1)}x   (target >= ${TARGETS.cerbosSpeedup}x: ${verdict(speedup >= TARGETS.cerbosSpeedup)})`);
        console.log(`  p99 vs Cerbos       ${p99.toFixed(3)}   (target <= ${TARGETS.cerbosP99}: ${verdict(p99 <= TARGETS.cerbosP99)})`);
        console.log(`  req/s vs the floor  ${(share * 100).toFixed(0)}%   (${judged
            ? `target >= ${TARGETS.floorShare * 100}%: ${verdict(share >= TARGETS.floorShare)}`
            : 'not judged: the floor answers a batch with one fixed body'})`);
        console.log(`  CPU per request     ${p.cpu_us_per_request.toFixed(1)} us; the floor's ${f.cpu_us_per_request.toFixed(1)} us, Cerbos's ${c.cpu_us_per_request.toFixed(1)} us`);
        if (!judged) {
            console.log(`  decisions/s         ${fmtCount(p.dps)}   (target >= ${fmtCount(TARGETS.batchDecisions)}: ${verdict(p.dps >= TARGETS.batchDecisions)})`);
            console.log(`  CPU-bound capacity  ${fmtCount(capacity)} decisions/s on ${cores} cores ` +
                `(${(p.cpu_us_per_request / (p.dps / p.rps)).toFixed(2)} us of server CPU per decision)`);
        }
    }
    return out;
}

/* The 1-minute load average: other work on the machine skews every rate measured. */
function loadAverage() {
    return Number(fs.readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
}

async function main() {
    const o = parseArgs(process.argv.slice(2));
    const started = Date.now();
    const work = fs.mkdtempSync(path.join(os.tmpdir(), 'portcullis-bench-server-'));
    const set = requests.build(o.vectors, o.batch);
    const endpoints = [
        { name: 'evaluation', path: '/access/v1/evaluation', bodies: path.join(work, 'single.txt'),
            decisions: 1, threads: o.singleThreads },
        { name: 'evaluations', path: '/access/v1/evaluations', bodies: path.join(work, 'batch.txt'),
            decisions: o.batch, threads: o.batchThreads },
    ];
    requests.writeBodies(endpoints[0].bodies, set.singles.map((s) => s.body));
    requests.writeBodies(endpoints[1].bodies, set.batches);
    const load = loadAverage();
    console.log(`wrk: ${o.connections} keep-alive connections, ${o.wrkThreads} thread(s); ` +
        `${o.rounds} rounds of ${o.seconds} s per server (after ${o.warmup} s of warm-up each); ` +
        `batches of ${o.batch}; load average before the run ${load.toFixed(2)} on ${os.cpus().length} CPUs`);
    if (load > 0.5) {
        console.log('note: other processes are busy on this machine: req/s and latencies understate ' +
            'what the servers do on idle cores (CPU time per request is less affected)');
    }
    try {
        const results = [];
        for (const endpoint of endpoints) results.push(...await phase(o, work, set, endpoint));
        console.log();
        table(results);
        console.log();
        const summary = ratios(results, o.batchThreads);
        for (const r of results.filter((x) => x.errors)) {
            console.log(`${r.server} ${r.endpoint}: ${r.errors} errors (socket errors or non-2xx answers)`);
            process.exitCode = 1;
        }
        if (o.json) fs.writeFileSync(o.json, JSON.stringify({ options: o, results, ratios: summary }, null, 2));
    } finally {
        fs.rmSync(work, { recursive: true, force: true });
        console.log(`(whole run: ${((Date.now() - started) / 1000).toFixed(0)} s)`);
    }
}

main().catch((e) => {
    console.log(String((e && e.stack) || e));
    process.exitCode = 1;
});
