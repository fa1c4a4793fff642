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
 *    one request, the trigger still present), saved as files. A validation
 *    difference is shrunk over the policies only: its requests stay.
 * 3. compare.js's excuse for the known cedar 4.13 validation difference
 *    applies exactly where it should, on hand-made answers.
 * Prints "N passed, N failed" and exits 1 on any failure.
 */

const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');
const { compareValidation } = require('./compare.js');

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
    { bug: 'valid', kind: 'validation-missed', trigger: () => true, policiesOnly: true },
];

function checkClean() {
    const r = runWith('', ['--cases', String(CLEAN_CASES)]);
    fs.rmSync(r.out, { recursive: true, force: true });
    // one check per case, one more per validated case (and some case must be validated)
    const validated = Number((r.stdout.match(/^diff: (\d+) validation outcomes compared/m) || [])[1]);
    const checks = CLEAN_CASES + validated;
    if (r.status === 0 && validated > 0 && new RegExp(`^${checks} passed, 0 failed$`, 'm').test(r.stdout)) return null;
    return `clean mock: expected ${CLEAN_CASES} cases, some validated, all passed:\n${r.stdout.slice(-2000)}`;
}

function checkBug({ bug, kind, trigger, policiesOnly }) {
    const r = runWith(bug, ['--cases', '200', '--max-failures', '1', '--max-shrink', '1']);
    const f = r.status === 1 ? savedFailure(r.out) : null;
    fs.rmSync(r.out, { recursive: true, force: true });
    if (!f) return `bug ${bug}: no failure saved (exit ${r.status}):\n${r.stdout.slice(-2000)}`;
    const wrong = [];
    if (f.kind !== kind) wrong.push(`kind ${f.kind}, expected ${kind}`);
    if (f.policyCount !== 1) wrong.push(`${f.policyCount} policies left after shrinking`);
    if (!policiesOnly && f.requests.length !== 1) wrong.push(`${f.requests.length} requests left after shrinking`);
    if (!trigger(f)) wrong.push('the shrunk case lost the trigger');
    return wrong.length ? `bug ${bug}: ${wrong.join('; ')}\n${f.policies}` : null;
}

/* Hand-made validation answers, and whether compareValidation must excuse them as the known difference. */
const IAA = 'for policy `p1`, unable to find an applicable action given the policy scope constraints';
const iaaError = (policy) => ({ policy, severity: 'error', kind: 'invalid action application', message: 'm' });
const ours = (...issues) => {
    const errors = issues.filter((i) => i.severity === 'error').length;
    return { code: errors ? 1 : 0, report: { valid: !errors, errors, warnings: issues.length - errors, issues } };
};
const refWarns = { errors: [], warnings: [{ policy: 'p1', message: IAA }] };
const KNOWN_413_CASES = [
    { name: 'iaa on the warned policy', ref: refWarns, ours: ours(iaaError('p1')), agree: true, known: true },
    { name: 'iaa on another policy', ref: refWarns, ours: ours(iaaError('p2')), agree: false },
    { name: 'iaa and another error', ref: refWarns, agree: false,
        ours: ours(iaaError('p1'), { policy: 'p1', severity: 'error', kind: 'unexpected type', message: 'm' }) },
    { name: 'iaa with no warning', ref: { errors: [], warnings: [] }, ours: ours(iaaError('p1')), agree: false },
    { name: 'both valid', ref: refWarns, ours: ours(), agree: true, known: false },
    { name: 'reference invalid', ref: { errors: [{ policy: 'p1', message: 'x' }], warnings: [] }, ours: ours(),
        agree: false },
];

function checkKnown413() {
    const wrong = KNOWN_413_CASES.filter((t) => {
        const r = compareValidation(t.ref, t.ours);
        return (r.diff === null) !== t.agree || (t.agree && r.known413 !== t.known);
    });
    return wrong.length ? `compareValidation is wrong on: ${wrong.map((t) => t.name).join(', ')}` : null;
}

function main() {
    const results = [['clean', checkClean()], ['known-413', checkKnown413()],
        ...BUGS.map((b) => [b.bug, checkBug(b)])];
    let failed = 0;
    for (const [name, problem] of results) {
        console.log(`selftest ${name}: ${problem ? 'FAIL' : 'ok'}`);
        if (problem) { failed++; console.log(problem); }
    }
    console.log(`${results.length - failed} passed, ${failed} failed`);
    process.exit(failed ? 1 : 0);
}

main();
