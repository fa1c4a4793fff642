#!/usr/bin/env node
'use strict';
/*
 * selftest.js — tests of the differential tester itself, run against
 * mock-cli.js (the reference dressed up as our CLI) instead of portcullis.
 *
 * 1. With no bug injected, the mock must agree on every case: this checks the
 *    plumbing (files, exact 64-bit integers, output parsing, comparison).
 * 2. With each injected bug, the harness must find a failure of the expected
 *    kind and shrink it to a small case that still shows the bug (one policy,
 *    one request, the trigger still present), saved as files.
 * Prints "N passed, N failed" and exits 1 on any failure.
 */

const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');

const RUN = path.join(__dirname, 'run.js');
const MOCK = path.join(__dirname, 'mock-cli.js');
const SEED = '1';
const CLEAN_CASES = 10; // each costs a mock process, which loads the reference: keep it short

/* Run run.js against the mock with bug `bug`; returns { status, stdout, out dir }. */
function runWith(bug, extra) {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'portcullis-selftest-'));
    const r = spawnSync(process.execPath, [RUN, '--cli', MOCK, '--seed', SEED, '--out', out, '--no-probes', ...extra],
        { env: Object.assign({}, process.env, { MOCK_BUG: bug }), encoding: 'utf8' });
    return { status: r.status, stdout: r.stdout + r.stderr, out };
}

/* The saved failure in dir: its policy text, request count and difference kind. */
function savedFailure(dir) {
    const [only] = fs.readdirSync(dir);
    if (!only) return null;
    const read = (f) => fs.readFileSync(path.join(dir, only, f), 'utf8');
    const report = read('report.txt');
    return {
        policies: read('policies.cedar'),
        policyCount: (read('policies.cedar').match(/^(permit|forbid)/gm) || []).length,
        requests: read('requests.jsonl').split('\n').filter((l) => l),
        kind: report.split('\n')[0].replace(/^difference: ([^:]+):.*$/, '$1'),
    };
}

const BUGS = [
    { bug: 'like', kind: 'decision', trigger: (f) => f.policies.includes(' like ') },
    { bug: 'errors', kind: 'errors', trigger: () => true },
    { bug: 'refuse', kind: 'refused', trigger: (f) => f.policies.includes('when {') },
    { bug: 'crash', kind: 'fault', trigger: (f) => Object.keys(JSON.parse(f.requests[0]).context).length === 3 },
];

function checkClean() {
    const r = runWith('', ['--cases', String(CLEAN_CASES)]);
    fs.rmSync(r.out, { recursive: true, force: true });
    if (r.status === 0 && new RegExp(`^${CLEAN_CASES} passed, 0 failed$`, 'm').test(r.stdout)) return null;
    return `clean mock: expected ${CLEAN_CASES} passed, 0 failed:\n${r.stdout.slice(-2000)}`;
}

function checkBug({ bug, kind, trigger }) {
    const r = runWith(bug, ['--cases', '200', '--max-failures', '1', '--max-shrink', '1']);
    const f = r.status === 1 ? savedFailure(r.out) : null;
    fs.rmSync(r.out, { recursive: true, force: true });
    if (!f) return `bug ${bug}: no failure saved (exit ${r.status}):\n${r.stdout.slice(-2000)}`;
    const wrong = [];
    if (f.kind !== kind) wrong.push(`kind ${f.kind}, expected ${kind}`);
    if (f.policyCount !== 1) wrong.push(`${f.policyCount} policies left after shrinking`);
    if (f.requests.length !== 1) wrong.push(`${f.requests.length} requests left after shrinking`);
    if (!trigger(f)) wrong.push('the shrunk case lost the trigger');
    return wrong.length ? `bug ${bug}: ${wrong.join('; ')}\n${f.policies}` : null;
}

function main() {
    const results = [['clean', checkClean()], ...BUGS.map((b) => [b.bug, checkBug(b)])];
    let failed = 0;
    for (const [name, problem] of results) {
        console.log(`selftest ${name}: ${problem ? 'FAIL' : 'ok'}`);
        if (problem) { failed++; console.log(problem); }
    }
    console.log(`${results.length - failed} passed, ${failed} failed`);
    process.exit(failed ? 1 : 0);
}

main();
