#!/usr/bin/env node
/*
 * bench/peer/bench.js — the engine benchmark's reference side: the stores and
 * requests that portcullis-bench-gen wrote, decided by the reference Cedar
 * (cedar-wasm 4.13.0, pinned by package-lock.json) and timed the same way
 * portcullis-bench-engine times Portcullis.
 *
 *   node bench.js [--json OUT] [--schema] [--floor K] [--no-sliced] [--no-check] STORE_DIR...
 *   node bench.js --samples OOPSLA_DIR
 *
 * What the timed call includes. cedar-wasm has no way to keep an entity store
 * between calls: its fastest entry point, statefulIsAuthorized, reuses a
 * policy set (and optionally a schema) parsed once by preparsePolicySet, but
 * takes the entities as a JS array on every call. So each timed call is:
 * converting the request and the whole entity array from JS into Rust values,
 * building the entity store (parsing every entity, computing the transitive
 * closure of `parents`), then authorizing against the pre-parsed policies.
 * The paper's harness built the store once, untimed; a Wasm caller cannot.
 * To show how much of the call is that per-call store building, --floor K
 * (default 20) also times the same call for the first K requests of each
 * store against an empty pre-parsed policy set, reported apart as "floor":
 * the cost of a call that evaluates nothing.
 *
 * Because that per-call store building dwarfs evaluation, every request is
 * also timed "sliced" (unless --no-sliced): the same call given only the
 * entities the request can reach from its principal, action and resource
 * through parents and entity-valued attributes, sliced before timing. This
 * is the paper's cedar-opt idea with the slicing left untimed, so it flatters
 * cedar-wasm: the conservative number to compare with.
 *
 * Without --schema the entities are parsed schema-less (they carry explicit
 * __entity references and include the Action entities with their hierarchy,
 * so the answers are the same); --schema passes a pre-parsed schema too,
 * which makes cedar-wasm also check every entity against it on every call.
 *
 * Agreement. Every decision (full and sliced) must equal the one Portcullis wrote to
 * DIR/decisions.portcullis; the first difference aborts the run with the
 * request, as the paper's harness does (--no-check skips this).
 */
'use strict';

const fs = require('fs');
const path = require('path');
const cedar = require('@cedar-policy/cedar-wasm/nodejs');

const DEFAULT_FLOOR = 20;
const EMPTY_SET_ID = 'bench-empty';
const SCHEMA_ID = 'bench-schema';

function die(msg) {
  process.stderr.write(`bench.js: ${msg}\n`);
  process.exit(1);
}

/* A cedar-wasm answer, or die with its errors. */
function ok(answer, what) {
  if (answer.type !== 'success') {
    die(`${what}: cedar-wasm failed: ${JSON.stringify(answer.errors)}`);
  }
  return answer;
}

function readJson(file) {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    return die(`${file}: ${e.message}`);
  }
}

function readLines(file) {
  return fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.length > 0)
    .map((l, i) => {
      try {
        return JSON.parse(l);
      } catch (e) {
        return die(`${file}:${i + 1}: ${e.message}`);
      }
    });
}

/* ---- policy sets ------------------------------------------------------- */

/* Split Cedar text into static policies and templates keyed by their @id
   annotation (the benchmark's template names), ready for preparsePolicySet. */
function policySet(text, links, what) {
  const parts = ok(cedar.policySetTextToParts(text), `${what}: splitting the policies`);
  const templates = {};
  for (const t of parts.policy_templates) {
    const json = ok(cedar.templateToJson(t), `${what}: reading a template`).json;
    const id = json.annotations && json.annotations.id;
    if (!id) die(`${what}: a template has no @id annotation:\n${t}`);
    templates[id] = t;
  }
  /* Explicit ids: a bare array would give every policy the id policy0. */
  const staticPolicies = Object.fromEntries(parts.policies.map((p, i) => [`static${i}`, p]));
  return { staticPolicies, templates, templateLinks: links };
}

let setCounter = 0;
function preparse(set, what) {
  const id = `bench-${setCounter++}`;
  ok(cedar.preparsePolicySet(id, set), `${what}: preparsing the policy set`);
  return id;
}

/* ---- stores ------------------------------------------------------------- */

function loadStore(dir) {
  const meta = readJson(path.join(dir, 'store.json'));
  const linksFile = path.join(dir, 'links.json');
  return {
    dir,
    meta,
    policies: fs.readFileSync(path.join(dir, 'policies.cedar'), 'utf8'),
    schema: readJson(path.join(dir, 'schema.cedarschema.json')),
    entities: readJson(path.join(dir, 'entities.json')),
    requests: readLines(path.join(dir, 'requests.jsonl')),
    links: fs.existsSync(linksFile) ? readJson(linksFile) : [],
  };
}

function decisionOf(answer, what) {
  const a = ok(answer, what);
  return { allow: a.response.decision === 'allow', errors: a.response.diagnostics.errors.length };
}

/* The call objects, built before any timing. */
function buildCalls(store, setId, opts) {
  return store.requests.map((r) => {
    const call = {
      principal: r.principal,
      action: r.action,
      resource: r.resource,
      context: r.context || {},
      preparsedPolicySetId: setId,
      entities: store.entities,
    };
    if (opts.schema) {
      call.preparsedSchemaName = SCHEMA_ID;
      call.validateRequest = false;
    }
    return call;
  });
}

function timeCall(call) {
  const t0 = process.hrtime.bigint();
  const answer = cedar.statefulIsAuthorized(call);
  const t1 = process.hrtime.bigint();
  return { answer, ns: Number(t1 - t0) };
}

function portcullisDecisions(dir, count) {
  const file = path.join(dir, 'decisions.portcullis');
  if (!fs.existsSync(file)) die(`${file} is missing: run portcullis-bench-engine on ${dir} first`);
  const lines = fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.length > 0);
  if (lines.length !== count) {
    die(`${file}: ${lines.length} decisions for ${count} requests`);
  }
  return lines.map((l) => l === 'allow');
}

function disagree(store, i, peerAllow, ourAllow, variant) {
  const name = (b) => (b ? 'allow' : 'deny');
  die(`DECISIONS DIFFER in ${store.dir}, request ${i}:\n` +
      `  ${JSON.stringify(store.requests[i])}\n` +
      `  cedar-wasm (${variant}): ${name(peerAllow)}, Portcullis: ${name(ourAllow)}`);
}

/* ---- slicing: the entities a request can reach ---------------------------- */

const uidKey = (u) => `${u.type}\u0000${u.id}`;

/* Push every {__entity: uid} inside an attribute value onto out. */
function entityRefs(v, out) {
  if (Array.isArray(v)) {
    v.forEach((x) => entityRefs(x, out));
  } else if (v !== null && typeof v === 'object') {
    if (v.__entity) out.push(v.__entity);
    else Object.values(v).forEach((x) => entityRefs(x, out));
  }
}

/* The entities reachable from the roots through parents and entity-valued
   attributes. Evaluating these apps' policies only ever reads such entities
   (none names an entity literal whose data it reads, none has context), so
   the decision is the same; the agreement check verifies that it is. */
function slice(byKey, roots) {
  const seen = new Set();
  const out = [];
  const todo = [...roots];
  while (todo.length > 0) {
    const u = todo.pop();
    const k = uidKey(u);
    const e = byKey.get(k);
    if (seen.has(k) || !e) continue;
    seen.add(k);
    out.push(e);
    todo.push(...e.parents);
    entityRefs(e.attrs, todo);
  }
  return out;
}

function slicedCalls(store, calls) {
  const byKey = new Map(store.entities.map((e) => [uidKey(e.uid), e]));
  return calls.map((c) => ({ ...c, entities: slice(byKey, [c.principal, c.action, c.resource]) }));
}

/* ---- timing a store -------------------------------------------------------- */

/* Time one call, check its decision, record the time in series. */
function timeChecked(store, i, call, expect, variant, series) {
  const { answer, ns } = timeCall(call);
  const d = decisionOf(answer, `${store.dir} request ${i} (${variant})`);
  if (expect && d.allow !== expect[i]) disagree(store, i, d.allow, expect[i], variant);
  series.push(ns);
  return d;
}

/* Time one store; adds to the group's series and counts. The full and the
   sliced call take turns going first, as Portcullis's two paths do. */
function runStore(store, group, opts) {
  const setId = preparse(policySet(store.policies, store.links, store.dir), store.dir);
  if (opts.schema) ok(cedar.preparseSchema(SCHEMA_ID, store.schema), `${store.dir}: schema`);
  const calls = buildCalls(store, setId, opts);
  const sliced = opts.sliced ? slicedCalls(store, calls) : null;
  const expect = opts.check ? portcullisDecisions(store.dir, calls.length) : null;
  calls.forEach((call, i) => {
    const timeSliced = () => sliced && timeChecked(store, i, sliced[i], expect, 'sliced', group.sliced);
    if (i % 2 === 1) timeSliced();
    const d = timeChecked(store, i, call, expect, 'full store', group.times);
    if (i % 2 === 0) timeSliced();
    group[d.allow ? 'allow' : 'deny'] += 1;
    group.withErrors += d.errors > 0 ? 1 : 0;
  });
  calls.slice(0, opts.floor).forEach((call) => {
    const { answer, ns } = timeCall({ ...call, preparsedPolicySetId: EMPTY_SET_ID });
    decisionOf(answer, `${store.dir} (empty policy set)`);
    group.floor.push(ns);
  });
  cedar.preparsePolicySet(setId, {});   /* drop the store's policies from the cache */
  group.stores += 1;
}

/* ---- statistics: the same definitions as bench_engine.c ----------------- */

/* Nearest-rank percentile of a sorted array. */
function percentile(sorted, q) {
  const k = Math.ceil(q * sorted.length);
  return sorted[k > 0 ? k - 1 : 0];
}

function summarize(times) {
  if (times.length === 0) return null;
  const s = Float64Array.from(times).sort();
  const total = s.reduce((a, b) => a + b, 0);
  return {
    count: s.length,
    mean_ns: total / s.length,
    p50_ns: percentile(s, 0.5),
    p90_ns: percentile(s, 0.9),
    p99_ns: percentile(s, 0.99),
    per_sec: total > 0 ? (s.length * 1e9) / total : 0,
  };
}

/* ---- the report ---------------------------------------------------------- */

function callDescription(opts) {
  return 'statefulIsAuthorized: JS->Wasm conversion of the request and of the whole ' +
    'entity array, entity store construction (parse + transitive closure) on every call, ' +
    `then authorization against a policy set pre-parsed once${opts.schema ?
      '; entities also checked against a pre-parsed schema' : '; no schema'}`;
}

const SLICED_DESCRIPTION = 'the same call given only the entities reachable from the ' +
  'request\'s principal, action and resource (through parents and entity-valued attributes), ' +
  'sliced before timing: the paper\'s cedar-opt idea, with the slicing left untimed';

function printReport(groups, opts) {
  const us = (ns, w = 8) => (ns / 1e3).toFixed(2).padStart(w);
  console.log(`cedar-wasm ${cedar.getCedarVersion()} in node ${process.version}, one thread. ` +
    'Latencies in microseconds.');
  console.log(`  timed call = ${callDescription(opts)}.`);
  if (opts.sliced) console.log(`  sliced = ${SLICED_DESCRIPTION}.`);
  if (opts.floor > 0) {
    console.log(`  floor = the same call against an empty policy set (first ${opts.floor} ` +
      'requests of each store): the per-call cost that is not policy evaluation.');
  }
  console.log(`${'app'.padEnd(17)} ${'N'.padStart(4)} ${'stores'.padStart(6)} ` +
    `${'reqs'.padStart(7)} ${'allow%'.padStart(6)} | ${'mean'.padStart(8)} ${'p50'.padStart(8)} ` +
    `${'p90'.padStart(8)} ${'p99'.padStart(8)} ${'decisions/s'.padStart(11)} | ` +
    `${'sliced p50'.padStart(10)} ${'sliced p99'.padStart(10)} | ${'floor p50'.padStart(9)}`);
  for (const g of groups) {
    const t = g.summary;
    const total = g.allow + g.deny;
    console.log(`${g.app.padEnd(17)} ${String(g.n).padStart(4)} ${String(g.stores).padStart(6)} ` +
      `${String(total).padStart(7)} ${(100 * g.allow / total).toFixed(1).padStart(6)} | ` +
      `${us(t.mean_ns)} ${us(t.p50_ns)} ${us(t.p90_ns)} ${us(t.p99_ns)} ` +
      `${t.per_sec.toFixed(0).padStart(11)} | ` +
      `${g.slicedSummary ? `${us(g.slicedSummary.p50_ns, 10)} ${us(g.slicedSummary.p99_ns, 10)}` : `${'-'.padStart(10)} ${'-'.padStart(10)}`} | ` +
      `${g.floorSummary ? us(g.floorSummary.p50_ns, 9) : '-'.padStart(9)}`);
  }
}

/* ---- the shipped samples (Cedar CLI format) ------------------------------- */

const APP_FILES = {
  gdrive: ['policies.cedar', 'gdrive.cedarschema.json'],
  'gdrive-templates': ['policies.cedar', 'gdrive-templates.cedarschema.json'],
  github: ['policies.cedar', 'github.cedarschema.json'],
  'github-templates': ['policies.cedar', 'github-templates.cedarschema.json'],
  tinytodo: ['tinytodo.cedar', 'tinytodo.cedarschema.json'],
};

/* "User::\"anne\"" -> {type, id}. cedar-wasm takes uids only as JSON, and
   offers no uid parser; the samples' uids are plain (no escapes beyond \"
   and \\), which this reads, and anything else is refused, not guessed. */
function uidOf(text, what) {
  if (typeof text !== 'string') return text;
  const m = /^([A-Za-z_][A-Za-z0-9_]*(?:::[A-Za-z_][A-Za-z0-9_]*)*)::"((?:[^"\\]|\\["\\])*)"$/.exec(text);
  if (!m) die(`${what}: "${text}" is not a plain uid in Cedar syntax`);
  return { type: m[1], id: m[2].replace(/\\(["\\])/g, '$1') };
}

function sampleLinks(file) {
  if (!fs.existsSync(file)) return [];
  return readJson(file).map((l) => ({
    templateId: l.template_id,
    newId: l.link_id,
    values: Object.fromEntries(Object.entries(l.args).map(([k, v]) => [k, uidOf(v, file)])),
  }));
}

function checkSample(dataDir, app) {
  const base = path.join(dataDir, app);
  const sample = path.join(base, 'sample');
  if (!fs.existsSync(sample)) return null;
  const [policyFile, schemaFile] = APP_FILES[app];
  const set = policySet(fs.readFileSync(path.join(base, policyFile), 'utf8'),
    sampleLinks(path.join(sample, 'linked')), app);
  const setId = preparse(set, app);
  ok(cedar.preparseSchema(SCHEMA_ID, readJson(path.join(base, schemaFile))), `${app}: schema`);
  const entities = readJson(path.join(sample, 'entities.json'));
  let agree = 0;
  let total = 0;
  for (const [folder, want] of [['allow_requests', true], ['deny_requests', false]]) {
    for (const f of fs.readdirSync(path.join(sample, folder)).filter((n) => n.endsWith('.json')).sort()) {
      const file = path.join(sample, folder, f);
      const r = readJson(file);
      const d = decisionOf(cedar.statefulIsAuthorized({
        principal: uidOf(r.principal, file),
        action: uidOf(r.action, file),
        resource: uidOf(r.resource, file),
        context: r.context || {},
        preparsedPolicySetId: setId,
        preparsedSchemaName: SCHEMA_ID,
        validateRequest: true,
        entities,
      }), file);
      total += 1;
      if (d.allow === want) agree += 1;
      else process.stderr.write(`MISMATCH ${file}: cedar-wasm says ${d.allow ? 'allow' : 'deny'}\n`);
    }
  }
  return { agree, total };
}

function runSamples(dataDir) {
  let bad = 0;
  let all = 0;
  for (const app of Object.keys(APP_FILES)) {
    const r = checkSample(dataDir, app);
    if (!r) continue;
    console.log(`sample ${app.padEnd(17)} ${r.agree}/${r.total} decisions as expected (cedar-wasm)`);
    all += r.total;
    bad += r.total - r.agree;
  }
  if (all === 0) die(`${dataDir}: no app has a sample/ folder`);
  if (bad > 0) die(`${bad} of ${all} sample decisions differ from the expected ones`);
}

/* ---- main ---------------------------------------------------------------- */

function parseArgs(argv) {
  const opts = {
    json: null, schema: false, floor: DEFAULT_FLOOR, sliced: true, check: true, samples: null, dirs: [],
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) die(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--json') opts.json = value();
    else if (a === '--schema') opts.schema = true;
    else if (a === '--no-check') opts.check = false;
    else if (a === '--no-sliced') opts.sliced = false;
    else if (a === '--samples') opts.samples = value();
    else if (a === '--floor') {
      const v = value();
      if (!/^[0-9]+$/.test(v)) die(`--floor "${v}": not a whole number`);
      opts.floor = Number(v);
    } else if (a.startsWith('-')) die(`unknown option "${a}"`);
    else opts.dirs.push(a);
  }
  if (!opts.samples && opts.dirs.length === 0) die('give store directories or --samples DIR');
  return opts;
}

function groupFor(groups, meta) {
  let g = groups.find((x) => x.app === meta.app && x.n === meta.n);
  if (!g) {
    g = { app: meta.app, n: meta.n, stores: 0, allow: 0, deny: 0, withErrors: 0, times: [], sliced: [], floor: [] };
    groups.push(g);
  }
  return g;
}

function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (opts.samples) {
    runSamples(opts.samples);
    return;
  }
  if (opts.floor > 0) ok(cedar.preparsePolicySet(EMPTY_SET_ID, {}), 'the empty policy set');
  const groups = [];
  for (const dir of opts.dirs) {
    const store = loadStore(dir);
    const known = groups.length;
    const group = groupFor(groups, store.meta);
    if (groups.length > known) process.stderr.write(`  timing ${group.app} N=${group.n}\n`);
    runStore(store, group, opts);
  }
  for (const g of groups) {
    g.summary = summarize(g.times);
    g.floorSummary = summarize(g.floor);
    g.slicedSummary = summarize(g.sliced);
  }
  printReport(groups, opts);
  if (opts.check) console.log('every decision agrees with Portcullis');
  if (opts.json) {
    const out = {
      engine: 'cedar-wasm',
      version: cedar.getCedarVersion(),
      timed: callDescription(opts),
      sliced: opts.sliced ? SLICED_DESCRIPTION : null,
      checked: opts.check,
      groups: groups.map((g) => ({
        app: g.app, n: g.n, stores: g.stores, allow: g.allow, deny: g.deny,
        withErrors: g.withErrors, call: g.summary, sliced: g.slicedSummary, floor: g.floorSummary,
      })),
    };
    fs.writeFileSync(opts.json, `${JSON.stringify(out, null, 2)}\n`);
  }
}

main();
