'use strict';
/*
 * probes.js — hand-picked corner cases, run before the random ones.
 *
 * Random generation reaches a corner only as often as chance allows: an odd
 * JSON form in a context attribute shows a difference only when some policy
 * then looks at that attribute in the right way. Each probe here pairs one
 * such corner with policies that look at it from every side (has, ==, a
 * method call, ...), so every run checks it at once. The expected answers
 * still come from the reference; nothing here is hard-coded.
 *
 * Four families: odd values in the context and in entity attributes (from
 * odd-data.js), odd entity objects, policy texts at the edges of the
 * grammar (each alone in its case, since one parse error refuses the set),
 * and policy texts at the edges of strict validation, each alone in a case
 * with one schema (so run.js compares their validation outcome too).
 * No templates: cedar-wasm refuses a template among static policies, while
 * Cedar's own policy-set parser (the conformance harness's) accepts it.
 */

const { ODD_VALUES, ODD_ENTITY } = require('./odd-data.js');

const ACTION = { type: 'Action', id: 'view' };
const ALICE = { type: 'User', id: 'alice' };

/* Conditions that look at value `v` from every side a policy can. */
const LOOKS = [
    'v has y', 'v has fn', 'v has __extn', 'v has __entity', 'v has type',
    'v == decimal("1.0")', 'v == User::"b"', 'v == ip("1.2.3.4")', 'v == 1', 'v == true',
    'v == {"y": 1}', 'v.isIpv4()', 'v.lessThan(decimal("2.0"))', 'v like "*"', 'v.isEmpty()',
    'v.offset(duration("1h")) == datetime("2024-01-01T02:00:00Z")',
    'v == datetime("2024-01-01T01:00:00Z")', 'v.y == 1', 'v.contains(1)', 'v in User::"b"',
];

const policiesOn = (base) => LOOKS.map((l) => ({ raw: `permit (principal, action, resource) when { ${l.replace(/^v/, base)} };` }));

/* Policy texts at the edges of the grammar. */
const TEXTS = [
    'permit (principal, action, resource) when { context has a.b.c };',
    'permit (principal, action, resource) when { context has a.if };',
    'permit (principal, action, resource) when { context has "a".b };',
    'permit (principal, action, resource,) when { true };',
    'permit (principal, action, resource) // trailing comment\n  when { true // inside\n };',
    'permit (principal, action, resource) when { true /* block */ };',
    'permit (principal, action, resource) when { [1].contains() };',
    'permit (principal, action, resource) when { [1].foo(1) };',
    'permit (principal, action, resource) when { isIpv4(ip("1.2.3.4")) };',
    'permit (principal, action, resource) when { ip("1.2.3.4", "x") == ip("1.2.3.4") };',
    'permit (principal, action, resource) when { ip(ip("1.2.3.4")) == ip("1.2.3.4") };',
    'permit (principal, action, resource) when { [1, 2, 2] == [2, 1] && {a: 1, b: 2} == {b: 2, a: 1} };',
    'permit (principal, action, resource) when { decimal("1.0") == decimal("1.0000") };',
    'permit (principal, action, resource) when { {a: 1, a: 2} == {a: 2} };',
    'permit (principal, action, resource) when { ip("::1") == ip("0:0:0:0:0:0:0:1") };',
    'permit (principal, action, resource) when { ip("10.0.0.1/8") == ip("10.0.0.0/8") };',
    'permit (principal, action, resource) when { datetime("2024-01-01") == datetime("2024-01-01T00:00:00Z") };',
    'permit (principal, action, resource) when { duration("1h") == duration("60m") };',
    'permit (principal, action, resource) when { "a" < "b" };',
    'permit (principal, action, resource) when { decimal("1.0") < decimal("2.0") };',
    'permit (principal, action, resource) when { principal is User in [User::"alice"] };',
    'permit (principal, action, resource) when { -9223372036854775808 < 0 };',
    'permit (principal, action, resource) when { - 9223372036854775808 < 0 };',
    'permit (principal, action, resource) when { -(9223372036854775808) < 0 };',
    'permit (principal, action, resource) when { --9223372036854775808 < 0 };',
    'permit (principal, action, resource) when { ----1 == 1 };',
    'permit (principal, action, resource) when { -----1 == -1 };',
    'permit (principal, action, resource) when { !!!!!true };',
    'permit (principal, action, resource) when { 9223372036854775807 + 1 > 0 || true };',
    'permit (principal, action, resource) when { true || 9223372036854775807 + 1 > 0 };',
    'permit (principal, action, resource) when { "\\u{0}\\u{10FFFF}" like "*\\u{10ffff}" };',
    'permit (principal, action, resource) when { "\\u{110000}" == "" };',
    'permit (principal, action, resource) when { "\\u{D800}" == "" };',
    'permit (principal, action, resource) when { "\\q" == "" };',
    'permit (principal, action, resource) when { "a*b" like "a\\*b" && !("axb" like "a\\*b") };',
    'permit (principal, action, resource) when { "" like "**" };',
    'permit (principal, action, resource) when { principal.if };',
    'permit (principal, action, resource) when { principal["if"] };',
    'permit (principal, action, resource) when { context.principal == 1 };',
    'permit (principal, action, resource) when { {if: 1} == {"if": 1} };',
    'permit (principal, action, resource) when { if::Type::"x" == 1 };',
    'permit (principal, action, resource) when { Ns::if::"x" == 1 };',
    'permit (principal, action, resource) when { __cedar::X::"x" == 1 };',
    'permit (principal, action, resource) when { principal is __cedar::X };',
    'permit (principal, action, resource) when { action in [] };',
    'permit (principal, action in [], resource);',
    'permit (principal, action == User::"alice", resource);',
    'permit (principal, action is Action, resource);',
    'permit (principal is User in Group::"g", action, resource is Photo);',
    'permit (principal in [User::"alice"], action, resource);',
    '@id("a") @id("b") permit (principal, action, resource);',
    '@a @b("") @c("\\u{1F980}") permit (principal, action, resource);',
    '@if("x") permit (principal, action, resource);',
    'permit (principal, action, resource) when { true } when { false } unless { false };',
    'permit (principal, action, resource) when { };',
    'permit (action, principal, resource);',
    'permit (principal, action, resource); forbid (principal, action, resource) unless { 1 };',
    'PERMIT (principal, action, resource);',
    'permit (principal, action, resource) when { datetime("2024-01-01").offset(duration("9223372036854775807ms")) > datetime("2024-01-01") };',
    'permit (principal, action, resource) when { duration("-9223372036854775808ms").toDays() < 0 };',
    'permit (principal, action, resource) when { datetime("2024-01-01").durationSince(datetime("1970-01-01")).toDays() == 19723 };',
    'permit (principal, action, resource) when { datetime("2024-03-10T12:34:56.789+0130").toTime() == duration("11h4m56s789ms") };',
    'permit (principal, action, resource) when { datetime("-0001-01-01") < datetime("2024-01-01") };',
    'permit (principal, action, resource) when { ip("127.0.0.1/8").isLoopback() && ip("::1/128").isLoopback() };',
    'permit (principal, action, resource) when { ip("10.0.0.0/8").isInRange(ip("10.0.0.0/16")) };',
    'permit (principal, action, resource) when { decimal("-922337203685477.5808").lessThan(decimal("0.0")) };',
];

/* A schema with the things strict validation looks at: optional attributes, tags, records, sets, action groups. */
const SCHEMA = `entity Group;
entity User in [Group] { name: String, age?: Long, tags: Set<String>, addr: ipaddr, manager?: User,
                         info: { level: Long, note?: String } } tags String;
entity Photo { owner: User, private: Bool };
action view appliesTo { principal: [User], resource: [Photo], context: { ip: ipaddr, n?: Long } };
action edit in [view] appliesTo { principal: [User], resource: [Photo] };
action admin appliesTo { principal: [Group], resource: [Group] };
`;

/* Policy texts at the edges of strict validation (a `[...]` pair is two policies in one case). */
const VALIDATION_TEXTS = [
    'permit (principal, action, resource) when { principal.age > 1 };',
    'permit (principal, action, resource) when { principal has age && principal.age > 1 };',
    'permit (principal, action, resource) when { principal has age || principal.age > 1 };',
    'permit (principal, action, resource) when { (if principal has age then principal.age else 0) > 1 };',
    'permit (principal, action, resource) when { principal has manager && principal.manager has age && principal.manager.age > 1 };',
    'permit (principal, action, resource) when { principal.manager == principal };',
    'permit (principal, action == Action::"view", resource) when { context.n > 1 };',
    'permit (principal, action == Action::"view", resource) when { context has n && context.n > 1 };',
    'permit (principal, action, resource) when { context.ip.isIpv4() };',
    'permit (principal, action in Action::"view", resource) when { context has ip && context.ip.isIpv4() };',
    'permit (principal, action, resource) when { principal.name like "a*" };',
    'permit (principal, action, resource) when { principal.age like "*" };',
    'permit (principal, action, resource) when { principal == resource };',
    'permit (principal, action, resource) when { principal in resource };',
    'permit (principal, action, resource) when { resource.owner == principal };',
    'permit (principal, action == Action::"admin", resource) when { resource.owner == principal };',
    'permit (principal, action, resource) when { principal.tags.contains(1) };',
    'permit (principal, action, resource) when { principal.tags.contains("a") };',
    'permit (principal, action, resource) when { [1, "a"].contains(1) };',
    'permit (principal, action, resource) when { [] == [] };',
    'permit (principal, action, resource) when { principal.tags.containsAll([]) };',
    'permit (principal, action, resource) when { 1 == "a" };',
    'permit (principal, action, resource) when { principal.name == 1 };',
    'permit (principal, action, resource) when { {a: 1}.b == 1 };',
    'permit (principal, action, resource) when { principal.info.level > 1 && principal.info.note == "x" };',
    'permit (principal, action, resource) when { principal.name.foo };',
    'permit (principal, action, resource) when { principal.addr.isInRange(ip("10.0.0.0/8")) };',
    'permit (principal, action, resource) when { principal.addr.isInRange(decimal("1.0")) };',
    'permit (principal, action, resource) when { ip("nonsense").isIpv4() };',
    'permit (principal, action, resource) when { duration("1h") < datetime("2024-01-01") };',
    'permit (principal, action, resource) when { principal.hasTag("x") && principal.getTag("x") like "a*" };',
    'permit (principal, action, resource) when { principal.getTag("x") == "a" };',
    'permit (principal, action, resource) when { resource.hasTag("x") };',
    'permit (principal, action, resource) when { Action::"view" in action };',
    'permit (principal, action, resource) unless { principal is User };',
    'permit (principal, action == Action::"nope", resource);',
    'permit (principal is Nope, action, resource);',
    'permit (principal, action, resource) when { Nope::"x" == principal };',
    'permit (principal in Group::"g", action == Action::"admin", resource in Group::"g");',
    'permit (principal, action in Action::"view", resource is Photo);',
    'permit (principal == Photo::"a", action == Action::"view", resource);',
    'forbid (principal is Group, action == Action::"view", resource);',
    'permit (principal is User, action == Action::"admin", resource) when { principal.age > 1 };',
    ['permit (principal is Group, action == Action::"edit", resource);',
        'permit (principal, action, resource) when { principal.name == "a" };'],
    ['permit (principal is Group, action == Action::"edit", resource);',
        'forbid (principal, action, resource is User);'],
];

function validationCases() {
    const alice = { uid: ALICE, parents: [{ type: 'Group', id: 'g' }], tags: { x: 'ab' },
        attrs: { name: 'a', tags: ['a'], addr: '10.1.2.3', info: { level: 2n } } };
    const entities = [alice, { uid: { type: 'Group', id: 'g' }, attrs: {}, parents: [] },
        { uid: { type: 'Photo', id: 'p' }, attrs: { owner: ALICE, private: false }, parents: [] }];
    const requests = [{ principal: ALICE, action: ACTION, resource: { type: 'Photo', id: 'p' },
        context: { ip: { __extn: { fn: 'ip', arg: '1.2.3.4' } } } }];
    return VALIDATION_TEXTS.map((t) => ({ policies: [].concat(t).map((raw) => ({ raw })), schema: SCHEMA,
        entities, requests }));
}

function valueCases() {
    return ODD_VALUES.flatMap((v) => [
        { policies: policiesOn('context.x'), entities: [],
            requests: [{ principal: ALICE, action: ACTION, resource: ALICE, context: { x: v } }] },
        { policies: policiesOn('principal.x'), entities: [{ uid: ALICE, attrs: { x: v }, parents: [] }],
            requests: [{ principal: ALICE, action: ACTION, resource: ALICE, context: {} }] },
    ]);
}

function entityCases() {
    return ODD_ENTITY.map((change) => {
        const e = { uid: { type: 'User', id: 'alice' }, attrs: { x: 1n },
            parents: [{ type: 'Group', id: 'g' }] };
        change(e);
        return { policies: [{ raw: 'permit (principal in Group::"g", action, resource) when { principal.x == 1 };' }],
            entities: [e, { uid: { type: 'Group', id: 'g' }, attrs: {}, parents: [] }],
            requests: [{ principal: ALICE, action: ACTION, resource: ALICE, context: {} }] };
    });
}

function textCases() {
    const entities = [{ uid: ALICE, attrs: { if: true }, parents: [] }];
    return TEXTS.map((raw) => ({ policies: [{ raw }], entities,
        requests: [{ principal: ALICE, action: ACTION, resource: ALICE, context: { a: { b: { c: 1n } } } }] }));
}

/* Every probe as a case ({ seed: 'probe', index, policies, entities, requests }). */
function probeCases() {
    return [...valueCases(), ...entityCases(), ...textCases(), ...validationCases()]
        .map((c, index) => Object.assign(structuredClone(c), { seed: 'probe', index }));
}

module.exports = { probeCases };
