#!/usr/bin/env node
'use strict';
/*
 * run.js — end-to-end tests of `portcullis serve`: the real daemon on
 * 127.0.0.1 (a free port each time), driven over HTTP.
 *
 *   node tests/e2e/run.js [--bin PATH] [--vectors DIR] [--only vectors|bad-input|lifecycle|scoped|security|identity|decision-log|grants|approvals]
 *
 * --bin defaults to build/src/cli/portcullis (then build/portcullis);
 * --vectors to ../shared/conformance/authzen next to the repository. Prints
 * every mismatch and ends with "N passed, N failed"; exits 1 on any failure.
 * Every daemon it starts is stopped by PID before it exits.
 */

const fs = require('fs');
const path = require('path');
const daemon = require('./daemon');
const { Tally } = require('./tally');

const ROOT = path.resolve(__dirname, '../..');
const SUITES = {
    vectors: require('./vectors'),
    'bad-input': require('./badinput'),
    lifecycle: require('./lifecycle'),
    scoped: require('./scoped'),
    security: require('./security'),
    identity: require('./identity'),
    'decision-log': require('./decisionlog'),
    grants: require('./grants'),
    approvals: require('./approvals'),
};

function parseArgs(argv) {
    const opts = { only: null, bin: null, vectors: path.resolve(ROOT, '../shared/conformance/authzen') };
    for (let i = 0; i < argv.length; i++) {
        const [flag, value] = [argv[i], argv[i + 1]];
        if (flag === '--bin') opts.bin = path.resolve(value);
        else if (flag === '--vectors') opts.vectors = path.resolve(value);
        else if (flag === '--only' && SUITES[value]) opts.only = value;
        else throw new Error(`unknown argument ${flag} (see the top of ${__filename})`);
        i++;
    }
    opts.bin = opts.bin || ['build/src/cli/portcullis', 'build/portcullis']
        .map((p) => path.join(ROOT, p)).find((p) => fs.existsSync(p));
    if (!opts.bin || !fs.existsSync(opts.bin)) throw new Error('no portcullis binary: build first or pass --bin');
    return opts;
}

async function main() {
    const opts = parseArgs(process.argv.slice(2));
    const tally = new Tally();
    const ctx = {
        root: ROOT,
        bin: opts.bin,
        vectors: opts.vectors,
        tally,
        start: (conf, extra) => daemon.start(opts.bin, conf, extra),
        request: daemon.request,
    };
    for (const [name, suite] of Object.entries(SUITES)) {
        if (!opts.only || opts.only === name) await suite.run(ctx);
    }
    tally.summary();
    process.exitCode = tally.failed ? 1 : 0;
}

main().catch((e) => {
    console.log(String(e && e.stack || e));
    console.log('0 passed, 1 failed');
    process.exitCode = 1;
});
