'use strict';
/*
 * approval.js — human approval through the proxy, with the real SDK client,
 * the real everything server and the real daemon (approvals.db in the run's
 * temporary directory). Agent::"payer" may call get-sum only with a tester's
 * approval (pdp/policies.cedar): the call is refused with -32002 naming the
 * approval request and never reaches the server; a human approves it with
 * the real CLI; the same call retried goes through exactly once; retried
 * again it waits for a new approval; a changed argument is a new request.
 */

const { execFileSync } = require('child_process');
const { connect, closeChecked, refusalOf } = require('./peers');

const NAME = 'approval';
const DECISION_ID = /^[0-9a-f]{32}$/;
const SUM = { name: 'get-sum', arguments: { a: 2, b: 3 } };

const text = (result) => (result.content || []).map((c) => c.text || '').join('');

/* The call must wait for approval: -32002 with its request id in data; returns the id. */
async function awaitsApproval(t, name, promise) {
    const r = await refusalOf(promise);
    const id = r && r.data && r.data.approval_id;
    t.check(NAME, name, r && r.code === -32002 && typeof id === 'string' && id.length > 0 &&
        r.message.includes(id) && /needs approval/.test(r.message) &&
        DECISION_ID.test(r.data.decision_id) &&
        Array.isArray(r.data.reasons) && r.data.reasons.length === 1, JSON.stringify(r));
    return id;
}

/* A human (not the agent) approves the request with the CLI, as an offline administrator. */
function approve(ctx, id) {
    execFileSync(ctx.bin, ['approvals', 'approve', id, '--reason', 'e2e: checked the sum',
        '--db', ctx.approvalsDb, '--as', 'User::"reviewer"', '--admin'], { encoding: 'utf8', stdio: 'pipe' });
}

async function run(ctx) {
    const t = ctx.tally;
    const s = await connect({ bin: ctx.bin, pdp: ctx.unixPdp, server: 'everything', principal: 'Agent::"payer"' });
    const c = s.client;
    const names = (await c.listTools()).tools.map((x) => x.name);
    t.check(NAME, 'a tool that needs approval is still listed', names.join() === 'get-sum', names.join());

    const first = await awaitsApproval(t, 'first call waits for approval (-32002, request id)', c.callTool(SUM));
    const again = await awaitsApproval(t, 'retried before approval: still waiting', c.callTool(SUM));
    t.check(NAME, 'the unapproved retry names the same request', again === first, `${first} vs ${again}`);
    t.check(NAME, 'nothing reached the server while waiting', !/ALLOW tools\/call get-sum/.test(s.log), s.log);

    approve(ctx, first);
    const allowed = text(await c.callTool({ name: 'get-sum', arguments: { b: 3, a: 2 } }));
    t.check(NAME, 'after approval the same call (keys reordered) goes through', /\b5\b/.test(allowed), allowed);
    const next = await awaitsApproval(t, 'retried again: approval used up, a new request', c.callTool(SUM));
    t.check(NAME, 'the new request has a new id', next && next !== first, `${first} then ${next}`);

    approve(ctx, next);
    const changed = await awaitsApproval(t, 'an approved call with a changed argument waits',
        c.callTool({ name: 'get-sum', arguments: { a: 2, b: 4 } }));
    t.check(NAME, 'a changed argument is another request', changed && changed !== next, `${next} vs ${changed}`);
    const still = text(await c.callTool(SUM));
    t.check(NAME, 'the approval still serves its own arguments once', /\b5\b/.test(still), still);
    t.check(NAME, 'the proxy logs the wait and the approval id',
        new RegExp(`APPROVAL tools/call get-sum: .* approval ${first}`).test(s.log), s.log);
    await closeChecked(t, NAME, 'everything', s);
}

module.exports = { name: NAME, run };
