#!/usr/bin/env node
'use strict';
/*
 * run.js — differential test: the portcullis CLI against cedar-wasm 4.13.0.
 *
 * For the hand-picked probes (probes.js) and then each case of a seeded
 * random stream (gen.js), the reference decides every request (ref.js) while
 * our CLI, one process per case, does the same (cli.js); compare.js says
 * whether the answers match. A mismatch is shrunk (shrink.js) to a small
 * reproduction, printed, and saved under tests/diff/failures/seed<S>-case<I>/
 * (or probe<I>/) as files the CLI can be rerun on.
 *
 * A case with a schema is also validated both ways (strict mode): the
 * reference's `validate` and `portcullis validate` must agree on whether
 * there is at least one error, but for the one known difference of cedar 4.13
 * that compare.js excuses (and this run counts apart). A validation mismatch
 * is shrunk over the policies only and saved as .../seed<S>-case<I>-validate/.
 *
 * usage: node tests/diff/run.js [--cli PATH] [--seed N] [--cases N] [--seconds S]
 *                               [--case I] [--ref-only] [--out DIR] [--max-shrink N]
 *                               [--max-failures N] [--probe I] [--no-probes]
 *   --cli PATH         our CLI (default build/src/cli/portcullis)
 *   --cases/--seconds  stop after N cases or S seconds, whichever comes first
 *                      (default: 200 cases when neither is given)
 *   --case I           run only case I of the seed, and print it
 *   --probe I          run only probe I, and print it
 *   --no-probes        skip the probes (which otherwise run first)
 *   --ref-only         no CLI: check the generator against the reference and
 *                      report how often policies parse and how requests decide
 *                      (a report only: it prints no verdict line)
 *   --max-shrink N     shrink and print the first N failures (default 3); later
 *                      ones are saved as found
 *   --max-failures N   stop the run after N failures (default 50)
 * Ends with "N passed, N failed", counting checks: one per case for its
 * decisions, one more per case with a schema for its validation outcome.
 * Exits 1 if any failed.
 * Exact integers: see json.js.
 */

const fs = require('fs');
const os = require('os');
const path = require('path');
const gen = require('./gen.js');
const { probeCases } = require('./probes.js');
const ref = require('./ref.js');
const cli = require('./cli.js');
const { compare, compareValidation } = require('./compare.js');
const { shrink } = require('./shrink.js');
const { exactJson } = require('./json.js');

const SHRINK_STEPS = 2000;       // CLI runs one shrink may spend
const SHRINK_SECONDS = 30;       // and wall time,
const SHRINK_GRACE = 10;         // but past the run's --seconds by no more than this
const PROGRESS_SECONDS = 15;     // how often a long run says how far it got

/* A mistake in how run.js was called: reported in one line, without a stack. */
class UsageError extends Error {}

function parseArgs(argv) {
    const opt = { cli: 'build/src/cli/portcullis', seed: null, cases: null, seconds: null,
        only: null, probe: null, probes: true, refOnly: false,
        out: path.join(__dirname, 'failures'), maxShrink: 3, maxFailures: 50 };
    const num = (name, v) => {
        if (!/^\d+$/.test(v || '')) throw new UsageError(`${name} needs a non-negative integer, got ${v}`);
        return Number(v);
    };
    for (let i = 2; i < argv.length; i++) {
        const a = argv[i], v = argv[i + 1];
        switch (a) {
        case '--cli': opt.cli = v; i++; break;
        case '--seed': opt.seed = num(a, v); i++; break;
        case '--cases': opt.cases = num(a, v); i++; break;
        case '--seconds': opt.seconds = num(a, v); i++; break;
        case '--case': opt.only = num(a, v); i++; break;
        case '--out': opt.out = v; i++; break;
        case '--max-shrink': opt.maxShrink = num(a, v); i++; break;
        case '--max-failures': opt.maxFailures = num(a, v); i++; break;
        case '--probe': opt.probe = num(a, v); i++; break;
        case '--no-probes': opt.probes = false; break;
        case '--ref-only': opt.refOnly = true; break;
        default: throw new UsageError(`unknown option ${a} (see the usage at the top of run.js)`);
        }
    }
    if (opt.seed === null) opt.seed = Date.now() % 1000000007;
    if (opt.cases === null && opt.seconds === null) opt.cases = 200;
    opt.deadline = opt.seconds === null ? Infinity : Date.now() + opt.seconds * 1000;
    return opt;
}

/*
 * The cases to run: one probe or one random case when asked for, else the
 * probes and then random cases until the count or the time runs out.
 */
function* cases(opt) {
    const probes = opt.probes || opt.probe !== null ? probeCases() : [];
    if (opt.probe !== null) {
        if (!probes[opt.probe]) throw new UsageError(`there are only ${probes.length} probes`);
        yield probes[opt.probe];
        return;
    }
    if (opt.only !== null) { yield gen.genCase(opt.seed, opt.only); return; }
    for (const p of probes) if (Date.now() < opt.deadline) yield p;
    for (let i = 0; (opt.cases === null || i < opt.cases) && Date.now() < opt.deadline; i++)
        yield gen.genCase(opt.seed, i);
}

const single = (opt) => opt.only !== null || opt.probe !== null;
const caseName = (c) => (c.seed === 'probe' ? `probe${c.index}` : `seed${c.seed}-case${c.index}`);
const rerunArgs = (c) => (c.seed === 'probe' ? `--probe ${c.index}` : `--seed ${c.seed} --case ${c.index}`);

/* ------------------------------------------------------------ reporting */

/* The report on a decision difference. */
function describe(c, text, refResult, ours, diff) {
    const out = [`difference: ${diff.kind}: ${diff.detail}`, '', '--- policies.cedar', text.trimEnd(),
        '', '--- entities.json', exactJson(c.entities)];
    if (c.schema !== undefined) out.push('', '--- schema.cedarschema', c.schema.trimEnd());
    if (diff.request !== undefined) {
        out.push('', `--- request ${diff.request}`, exactJson(c.requests[diff.request]),
            '', '--- reference answer', exactJson(refResult.answers[diff.request]),
            '', '--- our answer', exactJson(ours.answers[diff.request]));
    } else {
        out.push('', '--- requests.jsonl', ...c.requests.map(exactJson), '', '--- reference',
            refResult.refused ? `refuses the ${refResult.refused}: ${refResult.message}`
                : exactJson(refResult.answers),
            '', '--- ours', ours.fault ? `${ours.fault}\n${ours.stderr}`
                : ours.refused ? `refused: ${ours.message}` : exactJson(ours.answers));
    }
    return out.join('\n') + '\n';
}

/* Our validation answer, one line per issue. */
function ourValidation(o) {
    if (o.fault) return [o.fault, o.stderr];
    if (o.refused) return [`refused: ${o.message}`];
    const r = o.report;
    if (!r || typeof r !== 'object' || !Array.isArray(r.issues)) return [`exit ${o.code}: ${JSON.stringify(r)}`];
    const head = `exit ${o.code}: ${r.valid ? 'valid' : 'invalid'}, ${r.errors} errors, ${r.warnings} warnings`;
    return [head, ...r.issues.map((i) => `  ${i && i.severity}[${i && i.kind}] ${i && i.policy}: ${i && i.message}`)];
}

/* The reference's validation answer, one line per issue. */
function refValidation(v) {
    if (v.refused) return [`refuses the input: ${v.message}`];
    return [`${v.errors.length ? 'invalid' : 'valid'}: ${v.errors.length} errors, ${v.warnings.length} warnings`,
        ...v.errors.map((e) => `  error ${e.policy}: ${e.message}`),
        ...v.warnings.map((w) => `  warning ${w.policy}: ${w.message}`)];
}

/* Both validation answers of result v (see validationResult), as report lines. */
function validationLines(v) {
    return [`--- reference validation (cedar ${ref.version}, strict)`, ...refValidation(v.ref),
        '', '--- our validation', ...ourValidation(v.ours)];
}

/* The report on a validation difference: the policies, the schema and both answers. */
function describeValidation(c, v) {
    return [`difference: ${v.diff.kind}: ${v.diff.detail}`, '', '--- policies.cedar', v.text.trimEnd(),
        '', '--- schema.cedarschema', c.schema.trimEnd(), '', ...validationLines(v)].join('\n') + '\n';
}

/*
 * What is checked, two ways: a case's decisions, and its validation outcome.
 * Each says how to recheck a (shrunk) case, which parts of it the shrinker
 * may change, how to report a difference and which command reruns it.
 */
const DECISIONS = {
    suffix: '', policiesOnly: false,
    check,
    describe: (c, r) => describe(c, r.text, r.refResult, r.ours, r.diff),
    rerunArgs: (dir, authorizeArgs) => authorizeArgs,
};
const VALIDATION = {
    suffix: '-validate', policiesOnly: true,
    check: checkValidation,
    describe: describeValidation,
    rerunArgs: (dir) => cli.validateArgs(dir),
};

function save(opt, c, report, what) {
    const dir = path.join(opt.out, caseName(c) + what.suffix);
    const args = what.rerunArgs(dir, cli.writeCase(dir, c, gen.printPolicies(c)));
    const rerun = [opt.cli, ...args.map((a) => (a.startsWith('/') ? path.relative(process.cwd(), a) : a))];
    fs.writeFileSync(path.join(dir, 'report.txt'), report + `\n--- rerun\n${rerun.join(' ')}\n` +
        `node tests/diff/run.js ${rerunArgs(c)}\n`);
    return dir;
}

/* ------------------------------------------------------------- checking */

/*
 * Check case c: its decisions ({ text, refResult, ours, diff }) and, when it
 * has a schema, its validation outcome as well (in `validation`).
 */
async function check(opt, work, c) {
    const text = gen.printPolicies(c);
    const pending = cli.evaluate(opt.cli, work, c, text); // writes the case; runs while the reference decides
    const pendingValidation = c.schema === undefined ? null : cli.validate(opt.cli, work);
    const refResult = ref.evaluate(c, text);
    const r = { text, refResult, ours: await pending };
    r.diff = compare(refResult, r.ours);
    if (pendingValidation) r.validation = validationResult(c.schema, text, await pendingValidation);
    return r;
}

/* Our validation answer `ours` for policy text `text` against the reference's: { text, ref, ours, diff, known413 }. */
function validationResult(schema, text, ours) {
    const refValidation = ref.validate(schema, text);
    return Object.assign({ text, ref: refValidation, ours }, compareValidation(refValidation, ours));
}

/* Check only the validation outcome of case c (which has a schema). */
async function checkValidation(opt, work, c) {
    const text = gen.printPolicies(c);
    cli.writeCase(work, c, text);
    return validationResult(c.schema, text, await cli.validate(opt.cli, work));
}

/* Report the difference `first` that check `what` found on case c, shrunk when shrinkIt. */
async function reportFailure(opt, work, c, first, shrinkIt, what) {
    let found = first, small = c, steps = 0;
    if (shrinkIt) {
        const recheck = async (v) => (await what.check(opt, work, v)).diff;
        const deadline = Math.min(Date.now() + SHRINK_SECONDS * 1000, opt.deadline + SHRINK_GRACE * 1000);
        const s = await shrink(c, first.diff, recheck, SHRINK_STEPS, deadline, what.policiesOnly);
        small = s.case;
        steps = s.steps;
        found = await what.check(opt, work, small);
        if (!found.diff) { small = c; found = first; } // flaky: keep the original
    }
    const report = what.describe(small, found);
    const dir = save(opt, small, report, what);
    if (!shrinkIt) {
        console.log(`FAIL ${caseName(c)}${what.suffix}: ${found.diff.kind} (not shrunk), saved in ${dir}`);
        return;
    }
    console.log(`\nFAIL ${caseName(c)}${what.suffix} (shrunk in ${steps} runs), saved in ${dir}`);
    console.log(report);
}

async function runDiff(opt) {
    if (!fs.existsSync(opt.cli)) {
        console.log(`diff: CLI ${opt.cli} not found (build it first: make build)`);
        return { passed: 0, failed: 1 };
    }
    const work = fs.mkdtempSync(path.join(os.tmpdir(), 'portcullis-diff-'));
    const tally = { passed: 0, failed: 0, cases: 0, requests: 0, refused: 0, validations: 0, known413: 0 };
    let lastProgress = Date.now();
    /* Count one check's result r (of kind `what`); false when the run must stop. */
    const count = async (c, r, what) => {
        if (!r.diff) { tally.passed++; return true; }
        tally.failed++;
        await reportFailure(opt, work, c, r, tally.failed <= opt.maxShrink, what);
        if (tally.failed < opt.maxFailures) return true;
        console.log('diff: failure limit reached, stopping');
        return false;
    };
    try {
        for (const c of cases(opt)) {
            const r = await check(opt, work, c);
            if (single(opt)) console.log(describeCase(c, r));
            tally.cases++;
            tally.requests += r.refResult.answers ? r.refResult.answers.length : 0;
            tally.refused += r.refResult.refused ? 1 : 0;
            if (!await count(c, r, DECISIONS)) break;
            if (r.validation) {
                tally.validations++;
                tally.known413 += r.validation.known413 ? 1 : 0;
                if (!await count(c, r.validation, VALIDATION)) break;
            }
            if (Date.now() - lastProgress > PROGRESS_SECONDS * 1000) {
                lastProgress = Date.now();
                console.log(`diff: ${tally.cases} cases, ${tally.passed + tally.failed} checks, ${tally.failed} failed`);
            }
        }
    } finally {
        fs.rmSync(work, { recursive: true, force: true });
    }
    console.log(`diff: seed ${opt.seed}: ${tally.cases} cases, ${tally.requests} requests ` +
        `compared, ${tally.refused} inputs refused by the reference (cedar ${ref.version})`);
    console.log(`diff: ${tally.validations} validation outcomes compared, ${tally.known413} agreed only ` +
        'through the known 4.13 difference');
    return tally;
}

function describeCase(c, r) {
    return ['--- policies.cedar', r.text, '--- entities.json', exactJson(c.entities),
        ...(c.schema === undefined ? [] : ['--- schema.cedarschema', c.schema]), '--- requests.jsonl',
        ...c.requests.map(exactJson), '--- reference', r.refResult.refused
            ? `refuses ${r.refResult.refused}: ${r.refResult.message}` : r.refResult.answers.map(exactJson).join('\n'),
        '--- ours', exactJson(r.ours), r.diff ? `--- DIFFERENCE ${r.diff.kind}` : '--- same',
        ...(r.validation ? ['', ...validationLines(r.validation), verdict(r.validation)] : [])].join('\n');
}

function verdict(v) {
    if (v.diff) return `--- VALIDATION DIFFERENCE ${v.diff.kind}`;
    return v.known413 ? '--- same validation outcome, through the known 4.13 difference' : '--- same validation outcome';
}

/* ------------------------------------------------------- reference only */

/* How the generator fares against the reference alone: parse, decision and validation rates. */
function runRefOnly(opt) {
    const st = { cases: 0, refusedPolicies: 0, refusedEntities: 0, requests: 0, allow: 0, deny: 0,
        withErrors: 0, requestErrors: 0, policies: 0, policyErrors: 0, messages: new Map(),
        validated: 0, valid: 0, invalid: 0, validationRefused: 0 };
    const note = (m) => {
        const key = m.replace(/`[^`]*`/g, '`_`').slice(0, 90);
        st.messages.set(key, (st.messages.get(key) || 0) + 1);
    };
    for (const c of cases(Object.assign({}, opt, { probes: false }))) {
        const r = ref.evaluate(c, gen.printPolicies(c));
        st.cases++;
        if (c.schema !== undefined) countValidation(st, ref.validate(c.schema, gen.printPolicies(c)));
        st.policies += c.policies.length;
        if (r.refused) {
            st[r.refused === 'policies' ? 'refusedPolicies' : 'refusedEntities']++;
            note(r.message);
            continue;
        }
        for (const a of r.answers) {
            st.requests++;
            if (a.error !== undefined) { st.requestErrors++; note(a.error); continue; }
            st[a.decision]++;
            if (a.errors.length) st.withErrors++;
            st.policyErrors += a.errors.length;
        }
    }
    printRefStats(st);
}

function countValidation(st, v) {
    st.validated++;
    if (v.refused) st.validationRefused++;
    else st[v.errors.length ? 'invalid' : 'valid']++;
}

function printRefStats(st) {
    const pct = (n, d) => `${n} (${d ? ((100 * n) / d).toFixed(1) : '0.0'}%)`;
    console.log(`reference-only: ${st.cases} cases, ${st.policies} policies`);
    console.log(`  policy sets refused:   ${pct(st.refusedPolicies, st.cases)}`);
    console.log(`  entity sets refused:   ${pct(st.refusedEntities, st.cases)}`);
    console.log(`  requests decided:      ${st.requests}: allow ${pct(st.allow, st.requests)}, ` +
        `deny ${pct(st.deny, st.requests)}`);
    console.log(`  with erroring policies ${pct(st.withErrors, st.requests)}; policy errors ${st.policyErrors}`);
    console.log(`  requests refused:      ${pct(st.requestErrors, st.requests)}`);
    console.log(`  validated:             ${st.validated}: valid ${pct(st.valid, st.validated)}, ` +
        `invalid ${pct(st.invalid, st.validated)}, refused ${pct(st.validationRefused, st.validated)}`);
    console.log('  commonest refusal messages:');
    [...st.messages].sort((a, b) => b[1] - a[1]).slice(0, 12)
        .forEach(([m, n]) => console.log(`    ${String(n).padStart(5)}  ${m}`));
}

async function main() {
    try {
        const opt = parseArgs(process.argv);
        if (opt.refOnly) {
            runRefOnly(opt); // a report, not a test: no verdict line
            return;
        }
        const t = await runDiff(opt);
        console.log(`${t.passed} passed, ${t.failed} failed`);
        process.exitCode = t.failed ? 1 : 0;
    } catch (e) {
        console.log(`diff: ${e instanceof UsageError ? e.message : e.stack}`);
        console.log('0 passed, 1 failed');
        process.exitCode = 1;
    }
}

main();
