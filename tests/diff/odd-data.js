'use strict';
/*
 * odd-data.js — malformed or borderline entity and context JSON, for the
 * "bad data" cases. Cedar 4.13 refuses some of these and quietly accepts
 * others: an escape with extra members is a plain record, `args` works as
 * well as `arg`, `__extn` calls any extension function by name (methods such
 * as `offset` included), an entity may carry unknown fields. A parser written
 * from the documentation alone gets such corners wrong, so each is worth a
 * look.
 *
 * Left out on purpose: `{"__extn": {"fn": "unknown", ...}}`. cedar-wasm is
 * built with partial evaluation, where `unknown` is an extension function;
 * Cedar's default build (the one the conformance tests come from) has no such
 * function, so a difference there would say nothing about conformance.
 */

const ODD_VALUES = [
    1.5, null, 9.5e18, -0.5,
    { __extn: {} }, { __extn: { fn: 'ip' } }, { __extn: { fn: 'ip', arg: '1.2.3' } },
    { __extn: { fn: 'ip', arg: 1n } }, { __extn: { fn: 'ip', args: ['1.2.3.4'] } },
    { __extn: { fn: 'decimal', arg: '1.0' }, y: 1n }, { __extn: { fn: 'nosuch', arg: '1' } },
    { __extn: { fn: 'decimal', arg: '1.0', args: ['2.0'] } }, { __extn: 'ip("1.2.3.4")' },
    { __extn: { fn: 'offset', args: [{ __extn: { fn: 'datetime', arg: '2024-01-01' } },
        { __extn: { fn: 'duration', arg: '1h' } }] } },
    { __extn: { fn: 'lessThan', args: [{ __extn: { fn: 'decimal', arg: '1.0' } },
        { __extn: { fn: 'decimal', arg: '2.0' } }] } },
    { __extn: { fn: 'isIpv4', arg: { __extn: { fn: 'ip', arg: '1.2.3.4' } } } },
    { __extn: { fn: 'ip', args: ['1.2.3.4', 'x'] } }, { __extn: { fn: 'ip', args: [] } },
    { __expr: '1' }, { __entity: { type: 'User' } }, { __entity: 'User::"a"' },
    { __entity: { type: 'User', id: 'b' }, y: 1n }, { __entity: { type: 'if', id: 'a' } },
    { __entity: { type: 'Us er', id: 'a' } }, { __entity: { type: 'User ', id: 'a' } },
    { __entity: { type: 'A::if', id: 'a' } }, { __entity: { type: '__cedar::X', id: 'a' } },
    { __entity: { type: 'ü', id: 'a' } }, { __entity: { type: 'User', id: 1n } },
    { type: 'User', id: 'a' }, [1n, 'mixed', true], [[[]]], { '': { '': {} } },
];

/* Changes to one entity's JSON object that the entity format may or may not allow. */
const ODD_ENTITY = [
    (e) => { delete e.parents; },
    (e) => { delete e.attrs; },
    (e) => { e.extra = 1n; },
    (e) => { e.uid = `${e.uid.type || 'User'}::"a"`; },
    (e) => { e.tags = null; },
    (e) => { e.attrs = null; },
    (e) => { e.parents = {}; },
    (e) => { e.uid = { type: 'User ', id: 'a' }; },
    (e) => { e.uid = { type: 'ü', id: 'a' }; },
    (e) => { e.uid = { type: 'User', id: 'a', extra: 1n }; },
    (e) => { e.uid = { id: 'a' }; },
    (e) => { e.parents = e.parents.concat(e.parents); },
    (e) => { e.parents.push(e.uid); },
];

/*
 * Put one odd value into record rec (an attrs or context object), mostly
 * under one of `names` (the attribute names policies of the case use), so
 * that evaluation gets to look at it.
 */
function oddValue(rng, rec, names) {
    const key = names.length && rng.chance(0.8) ? rng.pick(names) : 'bad';
    rec[key] = structuredClone(rng.pick(ODD_VALUES));
}

/* Apply one odd change to entity e. */
function oddEntity(rng, e) {
    rng.pick(ODD_ENTITY)(e);
}

module.exports = { ODD_VALUES, ODD_ENTITY, oddValue, oddEntity };
