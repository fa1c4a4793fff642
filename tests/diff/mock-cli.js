#!/usr/bin/env node
'use strict';
/*
 * mock-cli.js — a stand-in for `portcullis authorize ... --json` and
 * `portcullis validate ... --json`, built on the reference itself, used only
 * by selftest.js to test the differential tester.
 *
 * With no bug injected it must agree with the reference on every case, so a
 * difference found through it is a bug of the harness (file writing, exact
 * integers, comparison). With MOCK_BUG set it misbehaves in one known way, and
 * the harness must notice and shrink the case down to what triggers it:
 *   like       flips the decision when any policy uses `like`
 *   errors     never reports erroring policies
 *   refuse     refuses (exit 2) any policy text with a `when` condition
 *   crash      exits 3 when a request's context has more than two entries
 *   valid      validation finds no error, ever
 *
 * Its validation acts as Cedar 4.10 to 4.12 (and portcullis) do: what
 * cedar-wasm 4.13 reports as an "unable to find an applicable action"
 * warning, it reports as an error, so the harness's excuse for that known
 * difference is exercised by every clean run that meets one.
 */

const fs = require('fs');
const ref = require('./ref.js');
const { parseExact } = require('./json.js');

function args(argv) {
    const o = {};
    for (let i = 3; i < argv.length; i++) {
        if (argv[i] === '--json') continue;
        o[argv[i].replace(/^--/, '')] = argv[++i];
    }
    return o;
}

const IAA = 'unable to find an applicable action given the policy scope constraints';

/* `portcullis validate --json`: the report's shape, exit 1 on any error. */
function validate(o, bug) {
    const r = ref.validate(fs.readFileSync(o.schema, 'utf8'), fs.readFileSync(o.policies, 'utf8'));
    if (r.refused) return refuse(`mock: ${r.message}`);
    const as = (severity, kind) => (i) => ({ policy: i.policy, severity, kind, message: i.message });
    const issues = r.errors.map(as('error', 'mock'))
        .concat(r.warnings.map((w) => (w.message.includes(IAA)
            ? as('error', 'invalid action application')(w) : as('warning', 'mock')(w))));
    const kept = bug === 'valid' ? issues.filter((i) => i.severity !== 'error') : issues;
    const errors = kept.filter((i) => i.severity === 'error').length;
    process.stdout.write(JSON.stringify({ valid: errors === 0, errors, warnings: kept.length - errors,
        issues: kept }) + '\n');
    process.exit(errors ? 1 : 0);
}

function main() {
    const o = args(process.argv);
    const bug = process.env.MOCK_BUG || '';
    if (process.argv[2] === 'validate') return validate(o, bug);
    const text = fs.readFileSync(o.policies, 'utf8');
    const c = {
        entities: parseExact(fs.readFileSync(o.entities, 'utf8')),
        requests: fs.readFileSync(o.requests, 'utf8').split('\n').filter((l) => l).map(parseExact),
        schema: o.schema ? fs.readFileSync(o.schema, 'utf8') : undefined,
    };
    if (bug === 'refuse' && text.includes('when {')) return refuse('mock: refusing `when`');
    if (bug === 'crash' && c.requests.some((q) => Object.keys(q.context).length > 2)) process.exit(3);
    const r = ref.evaluate(c, text);
    if (r.refused) return refuse(`mock: ${r.refused}: ${r.message}`);
    for (const a of r.answers) {
        if (bug === 'like' && text.includes(' like ') && a.error === undefined)
            a.decision = a.decision === 'allow' ? 'deny' : 'allow';
        if (bug === 'errors') a.errors = [];
        process.stdout.write(JSON.stringify(a) + '\n');
    }
    return 0;
}

function refuse(message) {
    process.stderr.write(message + '\n');
    process.exit(2);
}

main();
