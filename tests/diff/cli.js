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
 *
 * A case with a schema also gets a second process on the same files:
 *   portcullis validate --schema S --policies P --json
 * (exit 0: no errors, 1: errors, 2: unparsable input), whose JSON report
 * compare.js holds against the reference's strict validation.
 */

const fs = require('fs');
const path = require('path');
const { execFile } = require('child_process');
const { exactJson } = require('./json.js');

const TIMEOUT_MS = 30000;           // a case is small: longer than this is a hang
const MAX_OUTPUT = 64 * 1024 * 1024; // bytes of stdout/stderr kept from one run
const POLICIES = 'policies.cedar';  // the case's files, the same names for both commands
const SCHEMA = 'schema.cedarschema';

/* Write case c (policy text `text`) into dir; returns the CLI arguments. */
function writeCase(dir, c, text) {
    fs.mkdirSync(dir, { recursive: true });
    const file = (name, data) => {
        const p = path.join(dir, name);
        fs.writeFileSync(p, data);
        return p;
    };
    const args = ['authorize', '--policies', file(POLICIES, text),
        '--entities', file('entities.json', exactJson(c.entities) + '\n')];
    if (c.schema !== undefined) args.push('--schema', file(SCHEMA, c.schema));
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
    return run(cliPath, args, (code, stdout, stderr) => interpret(code, stdout, stderr, c.requests.length));
}

/* The arguments that validate the case written in dir (it must have a schema). */
function validateArgs(dir) {
    return ['validate', '--schema', path.join(dir, SCHEMA), '--policies', path.join(dir, POLICIES), '--json'];
}

/*
 * Validate the case already written in dir (by writeCase). Resolves to
 *   { refused: true, message }     exit 2 (input refused),
 *   { code, report }               exit 0 or 1, report the parsed JSON,
 *   { fault: 'why', stderr }       anything else.
 * Whether the report's shape fits its exit status is compare.js's business.
 */
function validate(cliPath, dir) {
    return run(cliPath, validateArgs(dir), (code, stdout, stderr) => {
        if (code !== 0 && code !== 1) return { fault: `validate: exit status ${code}`, stderr };
        try {
            return { code, report: JSON.parse(stdout) };
        } catch (e) {
            return { fault: `validate: output is not one JSON value: ${stdout.slice(0, 200)}`, stderr };
        }
    });
}

/*
 * Run the CLI with args; resolves to what `interpretExit` makes of the exit
 * status and output, after the cases every command shares: killed (a fault)
 * and exit 2 (a refusal).
 */
function run(cliPath, args, interpretExit) {
    return new Promise((resolve) => {
        execFile(cliPath, args, { timeout: TIMEOUT_MS, maxBuffer: MAX_OUTPUT, encoding: 'utf8' },
            (err, stdout, stderr) => {
                if (err && (err.killed || err.signal))
                    return resolve({ fault: `killed by ${err.signal || 'timeout'}`, stderr });
                const code = err ? err.code : 0;
                if (code === 2) return resolve({ refused: true, message: stderr.trim() });
                return resolve(interpretExit(code, stdout, stderr));
            });
    });
}

function interpret(code, stdout, stderr, nrequests) {
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

module.exports = { evaluate, validate, validateArgs, writeCase };
