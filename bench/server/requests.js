'use strict';
/*
 * requests.js — the requests `make bench-server` sends, and the check that
 * Portcullis and Cerbos decide them alike.
 *
 * Singles are the 40 evaluations of the AuthZEN Todo interop vectors
 * (todo/decisions-authorization-api-1_0-02.json), each with its expected
 * decision; 16 of them carry resource properties (the todo's ownerID), so
 * request-scoped entity data is on the measured path. A batch is one
 * subject (the top-level default) and BATCH items cycling through the
 * scenario's actions: reading users and todos, creating, and updating or
 * deleting todos owned by each user in turn (ownerID as a property). Item
 * resources have distinct ids, so Cerbos's grouping of a batch by resource
 * never merges two items. There is one batch body per user.
 */

const fs = require('fs');
const path = require('path');

const VECTORS = 'todo/decisions-authorization-api-1_0-02.json';

/* The vectors' subjects (PIDs) and the e-mails that own their todos. */
function users(singles) {
    const ids = [...new Set(singles.map((s) => s.body.subject.id))];
    const owners = [...new Set(singles.map((s) => s.body.resource.properties)
        .filter(Boolean).map((p) => p.ownerID))];
    return { ids, owners };
}

function batchItem(k, owners) {
    const kinds = ['can_read_user', 'can_read_todos', 'can_create_todo', 'can_update_todo',
        'can_delete_todo'];
    const action = kinds[k % kinds.length];
    if (action === 'can_read_user') {
        return { action: { name: action }, resource: { type: 'user', id: owners[k % owners.length] } };
    }
    const resource = { type: 'todo', id: `todo-${k}` };
    if (action === 'can_update_todo' || action === 'can_delete_todo') {
        resource.properties = { ownerID: owners[Math.floor(k / kinds.length) % owners.length] };
    }
    return { action: { name: action }, resource };
}

/*
 * { singles: [{body, expected}], batches: [body] } from the vectors folder.
 * batchSize items per batch.
 */
function build(vectorsDir, batchSize) {
    const file = path.join(vectorsDir, VECTORS);
    const singles = JSON.parse(fs.readFileSync(file, 'utf8')).evaluation
        .map((v) => ({ body: v.request, expected: v.expected }));
    const { ids, owners } = users(singles);
    const batches = ids.map((id) => ({
        subject: { type: 'user', id },
        evaluations: Array.from({ length: batchSize }, (_, k) => batchItem(k, owners)),
    }));
    return { singles, batches };
}

/* Write one compact JSON body per line (the wrk script's input). */
function writeBodies(file, bodies) {
    fs.writeFileSync(file, bodies.map((b) => JSON.stringify(b)).join('\n') + '\n');
}

/* POST a JSON body to 127.0.0.1:port; resolves to the parsed answer. */
async function post(port, urlPath, body) {
    const res = await fetch(`http://127.0.0.1:${port}${urlPath}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
    });
    const text = await res.text();
    if (res.status !== 200) throw new Error(`${urlPath} on port ${port}: HTTP ${res.status}: ${text}`);
    return JSON.parse(text);
}

function decisions(answer) {
    return answer.evaluations.map((e) => e.decision === true);
}

/*
 * Send every request to both servers; return a list of disagreements (with
 * each other, or with a single's expected decision) and the counts checked.
 */
async function verify(set, ports) {
    const problems = [];
    let checked = 0;
    for (const [i, s] of set.singles.entries()) {
        const p = (await post(ports.portcullis, '/access/v1/evaluation', s.body)).decision === true;
        const c = (await post(ports.cerbos, '/access/v1/evaluation', s.body)).decision === true;
        checked++;
        if (p !== c || p !== s.expected) {
            problems.push(`single #${i}: expected ${s.expected}, Portcullis ${p}, Cerbos ${c}: ` +
                JSON.stringify(s.body));
        }
    }
    for (const [i, b] of set.batches.entries()) {
        const p = decisions(await post(ports.portcullis, '/access/v1/evaluations', b));
        const c = decisions(await post(ports.cerbos, '/access/v1/evaluations', b));
        checked += b.evaluations.length;
        if (p.length !== b.evaluations.length) problems.push(`batch #${i}: Portcullis answered ${p.length} items`);
        if (c.length !== b.evaluations.length) problems.push(`batch #${i}: Cerbos answered ${c.length} items`);
        p.forEach((d, k) => {
            if (d !== c[k]) {
                problems.push(`batch #${i} item ${k}: Portcullis ${d}, Cerbos ${c[k]}: ` +
                    JSON.stringify(b.evaluations[k]));
            }
        });
    }
    return { problems, checked };
}

module.exports = { build, writeBodies, verify };
