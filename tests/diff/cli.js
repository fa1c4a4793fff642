'use strict';
/*
 * cli.js — our side: one test case evaluated by the portcullis CLI.
 *
 * A case becomes three (or four) files in a work directory and one process:
 *   portcullis authorize --policies P --entities E [--schema S] --requests R --json
 * which answers every request of the case, one JSON line each, in order. One
 * process per case (not per request) keeps the run fast. Exit status 2 means
 * the CLI refused the policy, entity or schema input as a whole; anything
 * else that is not 0 with exactly one line per request is a fault of ours.
 */

const fs = require('fs');
const path = require('path');
const { execFile } = require('child_process');
const { exactJson } = require('./json.js');

const TIMEOUT_MS = 30000;           // a case is small: longer than this is a hang
const MAX_OUTPUT = 64 * 1024 * 1024; // bytes of stdout/stderr kept from one run

/* Write case c (policy text `text`) into dir; returns the CLI arguments. */
function writeCase(dir, c, text) {
    fs.mkdirSync(dir, { recursive: true });
    const file = (name, data) => {
        const p = path.join(dir, name);
        fs.writeFileSync(p, data);
        return p;
    };
    const args = ['authorize', '--policies', file('policies.cedar', text),
        '--entities', file('entities.json', exactJson(c.entities) + '\n')];
    if (c.schema !== undefined) args.push('--schema', file('schema.cedarschema', c.schema));
    const lines = c.requests.map((q) => exactJson(q) + '\n').join('');
    args.push('--requests', file('requests.jsonl', lines), '--json');
    return args;
}

/*
 * Run the CLI on case c. Resolves to
 *   { refused: true, message }                    exit 2 (input refused),
 *   { answers: [parsed line per request] }         exit 0,
 *   { fault: 'why', stderr }                        anything else.
 */
function evaluate(cliPath, dir, c, text) {
    const args = writeCase(dir, c, text);
    return new Promise((resolve) => {
        execFile(cliPath, args, { timeout: TIMEOUT_MS, maxBuffer: MAX_OUTPUT, encoding: 'utf8' },
            (err, stdout, stderr) => resolve(interpret(err, stdout, stderr, c.requests.length)));
    });
}

function interpret(err, stdout, stderr, nrequests) {
    const code = err ? err.code : 0;
    if (err && (err.killed || err.signal))
        return { fault: `killed by ${err.signal || 'timeout'}`, stderr };
    if (code === 2) return { refused: true, message: stderr.trim() };
    if (code !== 0) return { fault: `exit status ${code}`, stderr };
    const lines = stdout.split('\n').filter((l) => l.trim() !== '');
    if (lines.length !== nrequests)
        return { fault: `printed ${lines.length} lines for ${nrequests} requests`, stderr };
    const answers = [];
    for (const line of lines) {
        try {
            answers.push(JSON.parse(line));
        } catch (e) {
            return { fault: `output line is not JSON: ${line.slice(0, 200)}`, stderr };
        }
    }
    return { answers };
}

module.exports = { evaluate, writeCase };
