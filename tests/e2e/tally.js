'use strict';
/*
 * tally.js — counting checks and printing mismatches. Every check is one
 * pass or one fail; a failed check prints what was sent, what was expected
 * and what came back, so a mismatch can be replayed by hand with curl.
 */

class Tally {
    constructor() {
        this.passed = 0;
        this.failed = 0;
        this.bySuite = new Map();
    }

    /* Record one check of suite; on failure print name and details. */
    check(suite, name, ok, details) {
        const s = this.bySuite.get(suite) || { passed: 0, failed: 0 };
        this.bySuite.set(suite, s);
        if (ok) {
            this.passed++;
            s.passed++;
            return true;
        }
        this.failed++;
        s.failed++;
        console.log(`FAIL ${suite}: ${name}`);
        if (details) console.log('  ' + details.split('\n').join('\n  '));
        return false;
    }

    /* A suite that could not run at all (daemon did not start...) is one failure. */
    broken(suite, err) {
        this.check(suite, 'suite could not run', false, String(err && err.stack || err));
    }

    summary() {
        for (const [suite, s] of this.bySuite) {
            console.log(`  ${suite.padEnd(34)} ${String(s.passed).padStart(4)} passed, ${s.failed} failed`);
        }
        console.log(`${this.passed} passed, ${this.failed} failed`);
    }
}

/* Compact JSON for messages. */
function show(v) {
    const s = typeof v === 'string' ? v : JSON.stringify(v);
    return s === undefined ? 'undefined' : s.length > 600 ? s.slice(0, 600) + '...' : s;
}

module.exports = { Tally, show };
