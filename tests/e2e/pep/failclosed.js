'use strict';
/*
 * failclosed.js — the proxy when the PDP cannot be trusted: answering
 * garbage, lying about its shape, failing, hanging, killed mid-session.
 * Every gated request is refused with -32603 and never reaches the server
 * (a call with a side effect shows it), tools/list is refused rather than
 * shown unfiltered, a hang costs at most the timeout, and when the PDP is
 * back the same session works again.
 */

const { Chaos } = require('./chaos');
const { connect, closeChecked, refusalOf } = require('./peers');

const NAME = 'fail-closed';
const TIMEOUT_MS = 250;
const HANG_BOUND_MS = 4 * TIMEOUT_MS;   /* refused within this, not when the PDP wakes */

/* Calls echo and says whether it went through. */
async function echoes(client, message) {
    const r = await client.callTool({ name: 'echo', arguments: { message } });
    return (r.content || [])[0].text === `Echo: ${message}`;
}

/* A call and a listing, both refused with -32603, quickly. */
async function refusedFault(t, client, what) {
    const t0 = Date.now();
    const call = await refusalOf(client.callTool({ name: 'echo', arguments: { message: 'x' } }));
    const ms = Date.now() - t0;
    t.check(NAME, `${what}: tools/call refused with -32603`, call && call.code === -32603 &&
        /authorization unavailable/.test(call.message), JSON.stringify(call));
    t.check(NAME, `${what}: refused within ${HANG_BOUND_MS} ms`, ms < HANG_BOUND_MS, `${ms} ms`);
    const list = await refusalOf(client.listTools());
    t.check(NAME, `${what}: tools/list refused, not shown unfiltered`, list && list.code === -32603,
        JSON.stringify(list));
    const doc = await refusalOf(client.readResource({ uri: 'demo://resource/static/document/architecture.md' }));
    t.check(NAME, `${what}: resources/read refused`, doc && doc.code === -32603, JSON.stringify(doc));
}

async function chaosModes(ctx) {
    const t = ctx.tally;
    const chaos = await new Chaos(ctx.daemon.port).start();
    const s = await connect({ bin: ctx.bin, pdp: chaos.url, server: 'everything', timeoutMs: TIMEOUT_MS });
    try {
        t.check(NAME, 'through the chaos PDP in pass mode: allowed', await echoes(s.client, 'before'));
        for (const mode of ['garbage', 'shape', 'error', 'hang']) {
            chaos.mode = mode;
            await refusedFault(t, s.client, `PDP ${mode}`);
            chaos.mode = 'pass';
            t.check(NAME, `after ${mode}: the session recovers`, await echoes(s.client, `after-${mode}`));
        }
    } finally {
        await closeChecked(t, NAME, 'chaos session', s);
        await chaos.stop();
    }
}

async function killed(ctx) {
    const t = ctx.tally;
    const s = await connect({ bin: ctx.bin, pdp: ctx.unixPdp, server: 'everything', timeoutMs: TIMEOUT_MS });
    try {
        t.check(NAME, 'daemon up: allowed', await echoes(s.client, 'up'));
        await ctx.killDaemon();
        await refusedFault(t, s.client, 'daemon killed');
        await ctx.restartDaemon();
        t.check(NAME, 'daemon restarted: the same session is allowed again', await echoes(s.client, 'back'));
    } finally {
        await closeChecked(t, NAME, 'killed-daemon session', s);
    }
}

async function run(ctx) {
    await chaosModes(ctx);
    await killed(ctx);
}

module.exports = { name: NAME, run };
