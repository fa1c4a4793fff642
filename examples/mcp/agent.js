#!/usr/bin/env node
'use strict';
/*
 * agent.js — the support agent's side: the MCP SDK client, starting the CRM
 * server through `portcullis mcp-proxy` (never directly) and trying what an
 * agent working a ticket might try. Prints one line per attempt, ALLOW or
 * DENY with the proxy's reason, and exits 1 if any attempt ends otherwise
 * than the scenario says it must (so run.sh doubles as a test).
 *
 *   node agent.js PORTCULLIS_BIN PDP_URL
 */

const path = require('path');
const { Client } = require('@modelcontextprotocol/sdk/client/index.js');
const { StdioClientTransport } = require('@modelcontextprotocol/sdk/client/stdio.js');

const [bin, pdp] = process.argv.slice(2);
const ticket = (id) => JSON.stringify({ ticket: { __entity: { type: 'Support::Ticket', id } } });

/* Start a session: the agent's identity and the ticket it is working, as the desk launches it. */
async function session(agent, sessionFacts) {
    const transport = new StdioClientTransport({
        command: bin,
        args: ['mcp-proxy', '--pdp', pdp, '--principal', `Support::Agent::"${agent}"`,
            '--server-name', 'crm', '--namespace', 'Support', '--quiet',
            '--risk', 'export_records=medium', '--risk', 'lookup_account=low',
            '--risk', 'delete_account=critical', '--session', sessionFacts,
            '--', process.execPath, path.join(__dirname, 'crm-server.js')],
        stderr: 'inherit',
    });
    const client = new Client({ name: 'support-agent', version: '1.0.0' });
    await client.connect(transport);
    return client;
}

let surprises = 0;

/* One attempt; expect is 'ALLOW' or 'DENY'. */
async function attempt(client, label, name, args, expect) {
    let outcome;
    let detail;
    try {
        const r = await client.callTool({ name, arguments: args });
        outcome = 'ALLOW';
        detail = r.content.map((c) => c.text).join(' ').replace(/\n/g, ' | ');
    } catch (e) {
        outcome = e.code === -32001 ? 'DENY' : `ERROR ${e.code}`;
        detail = String(e.message).replace(/^MCP error -?\d+: /, '');
    }
    if (outcome !== expect) surprises++;
    console.log(`${outcome === expect ? ' ' : '!'} ${outcome.padEnd(5)} ${label}\n          ${detail}`);
}

async function main() {
    console.log('support-bot, working ticket T-1001 (customer authenticated; accounts A-1001, A-1002)');
    let c = await session('support-bot', ticket('T-1001'));
    const listed = (await c.listTools()).tools.map((t) => t.name).join(', ');
    console.log(`  tools shown: ${listed}`);
    if (listed !== 'export_records, lookup_account') surprises++;
    await attempt(c, 'export A-1001, 100 rows', 'export_records', { account_ids: ['A-1001'], max_rows: 100 }, 'ALLOW');
    await attempt(c, 'export A-1001 and A-2002 (not on the ticket)', 'export_records',
        { account_ids: ['A-1001', 'A-2002'], max_rows: 100 }, 'DENY');
    await attempt(c, 'export A-1001, 50000 rows (over the bound)', 'export_records',
        { account_ids: ['A-1001'], max_rows: 50000 }, 'DENY');
    await attempt(c, 'export with an argument the schema does not know', 'export_records',
        { account_ids: ['A-1001'], max_rows: 10, include_card_numbers: true }, 'DENY');
    await attempt(c, 'look up A-1002', 'lookup_account', { account_id: 'A-1002' }, 'ALLOW');
    await attempt(c, 'delete A-1001 (hidden, called anyway)', 'delete_account', { account_id: 'A-1001' }, 'DENY');
    await c.close();

    console.log('support-bot, working ticket T-2002 (customer NOT authenticated)');
    c = await session('support-bot', ticket('T-2002'));
    await attempt(c, 'export A-2002', 'export_records', { account_ids: ['A-2002'], max_rows: 10 }, 'DENY');
    await c.close();

    console.log('billing-bot, on T-1001 although it is not assigned to it');
    c = await session('billing-bot', ticket('T-1001'));
    await attempt(c, 'export A-1001', 'export_records', { account_ids: ['A-1001'], max_rows: 10 }, 'DENY');
    await c.close();

    console.log('support-bot, no ticket in the session');
    c = await session('support-bot', '{}');
    await attempt(c, 'export A-1001', 'export_records', { account_ids: ['A-1001'], max_rows: 10 }, 'DENY');
    await c.close();
    console.log(surprises ? `${surprises} outcome(s) differ from the scenario` : 'every outcome as the policies say');
    process.exitCode = surprises ? 1 : 0;
}

main().catch((e) => {
    console.error(e);
    process.exitCode = 1;
});
