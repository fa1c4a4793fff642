#!/usr/bin/env node
/*
 * bench/peer/report.js — the comparison table of `make bench`: Portcullis
 * (portcullis-bench-engine --json) against cedar-wasm (bench.js --json),
 * both measured in the same run on the same stores.
 *
 *   node report.js PORTCULLIS.json PEER.json
 *
 * The ratio is cedar-wasm's latency divided by Portcullis's: how many times
 * faster Portcullis decides, against the plain cedar-wasm call (x) and
 * against the call on a pre-sliced store (x sliced, the conservative one). The two reports must describe the same groups
 * with the same request and allow counts, or the table would compare
 * different work; any mismatch is an error, not a footnote.
 */
'use strict';

const fs = require('fs');

function die(msg) {
  process.stderr.write(`report.js: ${msg}\n`);
  process.exit(1);
}

function load(file) {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    return die(`${file}: ${e.message}`);
  }
}

const key = (g) => `${g.app} N=${g.n}`;
const us = (ns, w = 9) => (ns / 1e3).toFixed(2).padStart(w);
const times = (a, b, w = 7) => `${(a / b).toFixed(0)}x`.padStart(w);

/* Pair the groups and check they hold the same requests and answers. */
function pair(ours, peer) {
  const byKey = new Map(peer.groups.map((g) => [key(g), g]));
  if (ours.groups.length !== peer.groups.length) {
    die(`Portcullis reports ${ours.groups.length} groups, cedar-wasm ${peer.groups.length}`);
  }
  return ours.groups.map((o) => {
    const p = byKey.get(key(o));
    if (!p) die(`${key(o)}: no cedar-wasm results`);
    if (o.allow !== p.allow || o.deny !== p.deny) {
      die(`${key(o)}: Portcullis allowed ${o.allow}/${o.allow + o.deny}, ` +
          `cedar-wasm ${p.allow}/${p.allow + p.deny}`);
    }
    return { o, p };
  });
}

function main() {
  const [oursFile, peerFile] = process.argv.slice(2);
  if (!oursFile || !peerFile) die('usage: node report.js PORTCULLIS.json PEER.json');
  const ours = load(oursFile);
  const peer = load(peerFile);
  const rows = pair(ours, peer);
  console.log(`Portcullis ${ours.version} (timed: ${ours.timedJson}) vs cedar-wasm ${peer.version}, ` +
    'same stores, same run. Latencies in microseconds; x = cedar-wasm / Portcullis.');
  console.log(`  wasm   = ${peer.timed}.`);
  if (peer.sliced) console.log(`  sliced = ${peer.sliced}.`);
  console.log('  floor  = the wasm call with an empty policy set: its cost without any evaluation. ' +
    'When floor is close to wasm, cedar-wasm\'s time is nearly all per-call store building, and ' +
    'x compares a Portcullis decision with that whole stateless call, not evaluator with ' +
    'evaluator; x sliced is the conservative ratio.');
  console.log(`  decisions ${peer.checked ? 'checked equal on every request' : 'NOT checked'}.`);
  const dash = (w) => '-'.padStart(w);
  console.log(`${'app'.padEnd(17)} ${'N'.padStart(3)} ${'allow%'.padStart(6)} |` +
    `${'PC p50'.padStart(8)}${'PC p99'.padStart(8)} |` +
    `${'wasm p50'.padStart(10)}${'wasm p99'.padStart(10)}${'floor p50'.padStart(10)} |` +
    `${'sliced p50'.padStart(11)}${'sliced p99'.padStart(11)} |` +
    `${'x p50'.padStart(8)}${'x p99'.padStart(8)}${'x sliced'.padStart(9)}`);
  for (const { o, p } of rows) {
    const total = o.allow + o.deny;
    console.log(`${o.app.padEnd(17)} ${String(o.n).padStart(3)} ` +
      `${(100 * o.allow / total).toFixed(1).padStart(6)} |` +
      `${us(o.json.p50_ns, 8)}${us(o.json.p99_ns, 8)} |` +
      `${us(p.call.p50_ns, 10)}${us(p.call.p99_ns, 10)}${p.floor ? us(p.floor.p50_ns, 10) : dash(10)} |` +
      `${p.sliced ? us(p.sliced.p50_ns, 11) + us(p.sliced.p99_ns, 11) : dash(11) + dash(11)} |` +
      `${times(p.call.p50_ns, o.json.p50_ns, 8)}${times(p.call.p99_ns, o.json.p99_ns, 8)}` +
      `${p.sliced ? times(p.sliced.p50_ns, o.json.p50_ns, 9) : dash(9)}`);
  }
}

main();
