'use strict';
/*
 * mcp.js — the proxy with real peers while the PDP is healthy: what the
 * policies in pdp/policies.cedar allow goes through unchanged, what they do
 * not is refused with -32001 and never reaches the server, and everything
 * MCP does besides (progress notes, concurrent and large answers, requests
 * from the server to the client) passes both ways.
 */

const fs = require('fs');
const path = require('path');
const types = require('@modelcontextprotocol/sdk/types.js');
const { connect, closeChecked, refusalOf } = require('./peers');

const NAME = 'mcp';
const EVERYTHING_ALLOWED = ['echo', 'get-roots-list', 'get-sum', 'get-tiny-image',
    'trigger-long-running-operation', 'trigger-sampling-request'];
const BIG_CHARS = 2 * 1024 * 1024;
const PARALLEL = 20;
const DECISION_ID = /^[0-9a-f]{32}$/;

const text = (result) => (result.content || []).map((c) => c.text || '').join('');

/* A check that a request was refused as a denial with a decision id. */
async function denied(t, name, promise) {
    const r = await refusalOf(promise);
    t.check(NAME, name, r && r.code === -32001 && /denied/.test(r.message) &&
        DECISION_ID.test(r.data && r.data.decision_id), JSON.stringify(r));
}

async function everything(ctx) {
    const t = ctx.tally;
    let sampled = 0;
    const s = await connect({
        bin: ctx.bin, pdp: ctx.unixPdp, server: 'everything',
        capabilities: { sampling: {}, roots: { listChanged: false } },
        handlers: [
            [types.CreateMessageRequestSchema, async () => {
                sampled++;
                return { model: 'e2e', role: 'assistant', content: { type: 'text', text: 'sampled-by-e2e' } };
            }],
            [types.ListRootsRequestSchema, async () => ({ roots: [{ uri: 'file:///e2e-root', name: 'e2e' }] })],
        ],
    });
    const c = s.client;
    t.check(NAME, 'initialize passes through', /everything/.test(c.getServerVersion().name),
        JSON.stringify(c.getServerVersion()));
    const names = (await c.listTools()).tools.map((x) => x.name).sort();
    t.check(NAME, 'tools/list shows only the allowed tools', names.join() === EVERYTHING_ALLOWED.join(),
        `got ${names.join()}`);
    t.check(NAME, 'allowed call goes through',
        text(await c.callTool({ name: 'echo', arguments: { message: 'hello' } })) === 'Echo: hello');
    await denied(t, 'argument policy denies', c.callTool({ name: 'echo', arguments: { message: 'the secret' } }));
    await denied(t, 'hidden tool denied when called anyway', c.callTool({ name: 'get-env', arguments: {} }));

    /* A slow call first, then quick ones: their answers overtake it (out of order). */
    let progress = 0;
    let longDone = false;
    const longCall = c.callTool({ name: 'trigger-long-running-operation', arguments: { duration: 1, steps: 3 } },
        undefined, { onprogress: () => { progress++; } }).then((r) => { longDone = true; return r; });
    const msgs = Array.from({ length: PARALLEL }, (_, i) => `parallel-${i}`);
    const answers = await Promise.all(msgs.map((m) => c.callTool({ name: 'echo', arguments: { message: m } })));
    const overtook = !longDone;
    t.check(NAME, `${PARALLEL} concurrent calls each get their own answer, ahead of a slow one`,
        overtook && answers.every((a, i) => text(a) === `Echo: ${msgs[i]}`), `overtook ${overtook}`);
    const long = await longCall;
    t.check(NAME, 'progress notifications pass during a call', progress >= 2 && /completed/i.test(text(long)),
        `progress ${progress}, result ${text(long)}`);

    const big = 'x'.repeat(BIG_CHARS);
    const bigAnswer = text(await c.callTool({ name: 'echo', arguments: { message: big } }));
    t.check(NAME, 'a 2 MiB message passes whole both ways', bigAnswer === `Echo: ${big}`,
        `answer length ${bigAnswer.length}`);

    const sampling = await c.callTool({ name: 'trigger-sampling-request', arguments: { prompt: 'hi', maxTokens: 5 } });
    t.check(NAME, 'server-initiated request (sampling) reaches the client and back',
        sampled === 1 && /sampled-by-e2e/.test(JSON.stringify(sampling)), JSON.stringify(sampling));
    const roots = await c.callTool({ name: 'get-roots-list', arguments: {} });
    t.check(NAME, 'server-initiated roots/list answered through the proxy',
        /e2e-root/.test(JSON.stringify(roots)), JSON.stringify(roots));

    const doc = await c.readResource({ uri: 'demo://resource/static/document/architecture.md' });
    t.check(NAME, 'allowed resources/read goes through', doc.contents.length === 1 && doc.contents[0].text.length > 0);
    await denied(t, 'resources/read outside the policy denied',
        c.readResource({ uri: 'demo://resource/dynamic/text/1' }));
    const prompt = await c.getPrompt({ name: 'simple-prompt' });
    t.check(NAME, 'allowed prompts/get goes through', prompt.messages.length > 0);
    await denied(t, 'prompts/get of another prompt denied',
        c.getPrompt({ name: 'args-prompt', arguments: { city: 'Oslo' } }));
    t.check(NAME, 'decisions are logged on the proxy stderr',
        /ALLOW tools\/call echo/.test(s.log) && /DENY tools\/call get-env/.test(s.log), s.log);
    await closeChecked(t, NAME, 'everything', s);
}

async function filesystem(ctx) {
    const t = ctx.tally;
    const s = await connect({
        bin: ctx.bin, pdp: ctx.tcpPdp(), server: 'fs', dir: ctx.dataDir,
        flags: ['--risk', 'read_text_file=low', '--risk', 'list_directory=low', '--risk', 'write_file=low'],
    });
    const c = s.client;
    const names = (await c.listTools()).tools.map((x) => x.name).sort();
    t.check(NAME, 'fs: low risk and not destructive: only these are listed',
        names.join() === 'list_directory,read_text_file', `got ${names.join()}`);
    const a = path.join(ctx.dataDir, 'a.txt');
    t.check(NAME, 'fs: read under the data directory allowed',
        text(await c.callTool({ name: 'read_text_file', arguments: { path: a } })).includes('hello from data'));
    await denied(t, 'fs: read outside the data directory denied before the server sees it',
        c.callTool({ name: 'read_text_file', arguments: { path: '/etc/hostname' } }));
    const b = path.join(ctx.dataDir, 'b.txt');
    await denied(t, 'fs: destructive tool denied despite its low rating',
        c.callTool({ name: 'write_file', arguments: { path: b, content: 'nope' } }));
    t.check(NAME, 'fs: the denied write did not happen', !fs.existsSync(b));
    const listing = text(await c.callTool({ name: 'list_directory', arguments: { path: ctx.dataDir } }));
    t.check(NAME, 'fs: list_directory allowed', listing.includes('a.txt'), listing);
    await closeChecked(t, NAME, 'fs', s);
}

async function run(ctx) {
    await everything(ctx);
    await filesystem(ctx);
}

module.exports = { name: NAME, run };
