#!/usr/bin/env node
'use strict';
/*
 * crm-server.js — a small CRM as an MCP server on stdio, with made-up data.
 * It trusts whoever calls it, as most tool servers do; deciding who may
 * export what is the job of `portcullis mcp-proxy` in front of it.
 *
 *   export_records  rows of the named accounts' orders (low risk for the
 *                   operator, but it moves customer data out: the policy
 *                   keeps it inside the ticket)
 *   lookup_account  one account's profile (read-only)
 *   delete_account  what no agent should ever do (rated critical)
 */

const { McpServer } = require('@modelcontextprotocol/sdk/server/mcp.js');
const { StdioServerTransport } = require('@modelcontextprotocol/sdk/server/stdio.js');
const { z } = require('zod');

const ACCOUNTS = {
    'A-1001': { name: 'Ada Lovelace', plan: 'pro', orders: ['O-1', 'O-2', 'O-3'] },
    'A-1002': { name: 'Charles Babbage', plan: 'basic', orders: ['O-4'] },
    'A-2002': { name: 'Grace Hopper', plan: 'pro', orders: ['O-5', 'O-6'] },
};

const server = new McpServer({ name: 'crm', version: '1.0.0' });
const reply = (text) => ({ content: [{ type: 'text', text }] });

server.registerTool('export_records', {
    description: 'Export the order records of the given accounts as CSV',
    inputSchema: { account_ids: z.array(z.string()), max_rows: z.number().int() },
    annotations: { readOnlyHint: true, openWorldHint: false },
}, async ({ account_ids: ids, max_rows: max }) => {
    const rows = ids.flatMap((id) => (ACCOUNTS[id] ? ACCOUNTS[id].orders : []).map((o) => `${id},${o}`));
    return reply(['account,order', ...rows.slice(0, max)].join('\n'));
});

server.registerTool('lookup_account', {
    description: 'Show one account',
    inputSchema: { account_id: z.string() },
    annotations: { readOnlyHint: true, openWorldHint: false },
}, async ({ account_id: id }) => reply(JSON.stringify(ACCOUNTS[id] || null)));

server.registerTool('delete_account', {
    description: 'Delete an account and all its data',
    inputSchema: { account_id: z.string() },
    annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true },
}, async ({ account_id: id }) => {
    delete ACCOUNTS[id];
    return reply(`deleted ${id}`);
});

server.connect(new StdioServerTransport());
