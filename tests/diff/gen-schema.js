'use strict';
/*
 * gen-schema.js — cases with a schema: the schema itself (Cedar schema text),
 * and entities and requests that fit it, now and then on purpose not.
 *
 * With a schema, Cedar parses entities by it (implicit __entity/__extn
 * escapes, attribute types and required attributes checked, action entities
 * taken from the schema) and validates each request against the action's
 * appliesTo and context type. This module makes those paths reachable: every
 * attribute name of the case universe gets one concrete type, each entity
 * type a shape (some attributes optional), a memberOf list and maybe a tag
 * type, each action an appliesTo. Data then follows the declarations, except
 * in "bad data" cases, which break one rule so refusals get compared too.
 *
 * Concrete types: { k: 'Bool' | 'Long' | 'String' | 'ipaddr' | 'decimal' |
 * 'datetime' | 'duration' } | { k: 'Entity', name } | { k: 'Set', elem } |
 * { k: 'Record', attrs: { name: { ct, required } } }.
 */

const { ATTR_POOL, TAG_KEYS, EXT_OF, pickInt, pickString, extLiteral } = require('./pools.js');
const { quote } = require('./cedar-text.js');
const { oddValue, oddEntity } = require('./odd-data.js');

const SIMPLE = ['Long', 'String', 'Bool', 'Entity'];

/* A concrete type for a generator type ('Set' and 'Record' get contents). */
function concretize(u, t, depth) {
    const { rng } = u;
    switch (t) {
    case 'Entity': return { k: 'Entity', name: rng.pick(u.types) };
    case 'Set': return { k: 'Set', elem: concretize(u, rng.pick(SIMPLE), depth) };
    case 'Record': {
        const attrs = {};
        if (depth > 0)
            for (const n of rng.subset(ATTR_POOL, 0.1))
                attrs[n] = { ct: concretize(u, rng.pick(SIMPLE.concat('Record')), depth - 1), required: rng.chance(0.7) };
        return { k: 'Record', attrs };
    }
    default: return { k: t };
    }
}

/* Declarations for universe u: u.ctype, u.decl (entity types), u.actionDecl. */
function addSchema(u) {
    const { rng } = u;
    u.ctype = {};
    for (const n of Object.keys(u.attrs)) u.ctype[n] = concretize(u, u.attrs[n], 1);
    const names = Object.keys(u.ctype);
    const shape = () => Object.fromEntries(rng.subset(names, 0.5).map((n) => [n, rng.chance(0.6)]));
    u.decl = {};
    for (const t of u.types) {
        u.decl[t] = { shape: shape(), memberOf: rng.subset(u.types, 0.4),
            tags: rng.chance(0.3) ? concretize(u, u.tagType, 1) : null };
    }
    // An empty principal or resource list is a schema error; 1 in 100 tests that.
    const some = (a) => { const s = rng.subset(a, 0.5); return s.length || rng.chance(0.01) ? s : [rng.pick(a)]; };
    u.actionDecl = {};
    u.actions.forEach((a, i) => {
        u.actionDecl[a.id] = {
            principals: some(u.types),
            resources: some(u.types),
            context: shape(),
            memberOf: rng.subset(u.actions.slice(i + 1), 0.3).map((p) => p.id),
        };
    });
}

/* ------------------------------------------------------------- schema text */

function typeText(ct, esc) {
    switch (ct.k) {
    case 'Entity': return ct.name;
    case 'Set': return `Set<${typeText(ct.elem, esc)}>`;
    case 'Record': return recordText(recordFields(ct), esc);
    default: return ct.k;
    }
}

/* `{ "name"?: Type, ... }` from [name, concrete type, required] triples. */
function recordText(fields, esc) {
    return `{${fields.map(([n, ct, req]) => `${quote(n, esc)}${req ? '' : '?'}: ${typeText(ct, esc)}`).join(', ')}}`;
}

/* A record type's fields as [name, concrete type, required] triples. */
function recordFields(ct) {
    return Object.entries(ct.attrs).map(([n, a]) => [n, a.ct, a.required]);
}

function shapeFields(u, shape) {
    return Object.entries(shape).map(([n, req]) => [n, u.ctype[n], req]);
}

const namespaceOf = (name) => name.split('::').slice(0, -1).join('::');
const baseName = (name) => name.split('::').pop();

function entityDeclText(u, t, esc) {
    const d = u.decl[t];
    const parents = d.memberOf.length ? ` in [${d.memberOf.join(', ')}]` : '';
    const tags = d.tags ? ` tags ${typeText(d.tags, esc)}` : '';
    return `entity ${baseName(t)}${parents} ${recordText(shapeFields(u, d.shape), esc)}${tags};`;
}

function actionDeclText(u, id, esc) {
    const d = u.actionDecl[id];
    const parents = d.memberOf.length ? ` in [${d.memberOf.map((p) => quote(p, esc)).join(', ')}]` : '';
    const applies = `appliesTo { principal: [${d.principals.join(', ')}], resource: [${d.resources.join(', ')}], ` +
        `context: ${recordText(shapeFields(u, d.context), esc)} }`;
    return `action ${quote(id, esc)}${parents} ${applies};`;
}

/* The schema of universe u in Cedar schema syntax, one namespace block each. */
function schemaText(u) {
    const esc = u.unicodeEscapes;
    const byNs = new Map();
    const add = (ns, line) => byNs.set(ns, (byNs.get(ns) || []).concat(line));
    for (const t of u.types) add(namespaceOf(t), entityDeclText(u, t, esc));
    for (const a of u.actions) add(namespaceOf(a.type), actionDeclText(u, a.id, esc));
    return [...byNs].map(([ns, lines]) => (ns === '' ? lines.join('\n')
        : `namespace ${ns} {\n  ${lines.join('\n  ')}\n}`)).join('\n') + '\n';
}

/* --------------------------------------------------------------- data */

function uidOfType(u, name) {
    const found = u.uids.filter((x) => x.type === name);
    return found.length && u.rng.chance(0.95) ? u.rng.pick(found) : { type: name, id: 'ghost' };
}

/* A value of concrete type ct, in the entity JSON format, escapes implicit at random. */
function schemaValue(u, ct, depth) {
    const { rng } = u;
    switch (ct.k) {
    case 'Bool': return rng.chance(0.5);
    case 'Long': return pickInt(rng);
    case 'String': return pickString(rng);
    case 'Entity': { const uid = uidOfType(u, ct.name); return rng.chance(0.5) ? uid : { __entity: uid }; }
    case 'Set': return depth <= 0 ? [] : Array.from({ length: rng.int(4) }, () => schemaValue(u, ct.elem, depth - 1));
    case 'Record': return schemaRecord(u, recordFields(ct), depth - 1);
    default: {
        const arg = extLiteral(rng, EXT_OF[ct.k], 1);
        return rng.chance(0.5) ? arg : { __extn: { fn: EXT_OF[ct.k], arg } };
    }
    }
}

/* A record with every required field and some optional ones. */
function schemaRecord(u, fields, depth) {
    const rec = {};
    for (const [n, ct, req] of fields) if (req || u.rng.chance(0.5)) rec[n] = schemaValue(u, ct, depth);
    return rec;
}

/* Break (most likely) one rule of a record type in rec, for bad-data cases. */
function breakRecord(u, rec) {
    const { rng } = u;
    const keys = Object.keys(rec);
    rng.pick([
        () => { rec.undeclared = 1n; },
        () => { if (keys.length) rec[keys[0]] = rng.chance(0.5) ? 'wrong' : 7n; },
        () => { for (const k of keys) delete rec[k]; },
        () => oddValue(rng, rec, Object.keys(u.attrs)),
    ])();
}

/* Break one rule of the schema in entity e, for bad-data cases. */
function breakEntity(u, e) {
    const { rng } = u;
    rng.pick([
        () => breakRecord(u, e.attrs),
        () => { e.parents.push({ type: rng.pick(u.types), id: 'p' }); },
        () => { e.tags = Object.assign(e.tags || {}, { t: rng.chance(0.5) ? 'x' : 1n }); },
        () => { e.uid = { type: 'Undeclared', id: 'x' }; },
        () => oddEntity(rng, e),
    ])();
}

function schemaEntity(u, uid, later) {
    const { rng } = u;
    const d = u.decl[uid.type];
    const e = { uid: { type: uid.type, id: uid.id }, attrs: schemaRecord(u, shapeFields(u, d.shape), 2),
        parents: rng.subset(later.filter((p) => d.memberOf.includes(p.type)), 0.3).slice(0, 3)
            .map((p) => ({ type: p.type, id: p.id })) };
    if (d.tags) {
        e.tags = {};
        for (const k of rng.subset(TAG_KEYS, 0.4)) e.tags[k] = schemaValue(u, d.tags, 1);
    }
    return e;
}

/* Entities of u that fit the schema (action entities, when listed, match it too). */
function schemaEntities(u) {
    const { rng } = u;
    const out = [];
    u.uids.forEach((uid, i) => {
        if (rng.chance(0.85)) out.push(schemaEntity(u, uid, u.uids.slice(i + 1)));
    });
    if (rng.chance(0.5)) {
        for (const a of u.actions)
            out.push({ uid: { type: a.type, id: a.id }, attrs: {},
                parents: u.actionDecl[a.id].memberOf.map((id) => ({ type: a.type, id })) });
    }
    if (u.badData && out.length) breakEntity(u, rng.pick(out));
    return out;
}

/* Requests that mostly fit the action's appliesTo and context type. */
function schemaRequests(u) {
    const { rng } = u;
    const member = (types) => (types.length && rng.chance(0.9) ? uidOfType(u, rng.pick(types)) : rng.pick(u.uids));
    return Array.from({ length: rng.range(1, 8) }, () => {
        const action = rng.pick(u.actions);
        const d = u.actionDecl[action.id];
        const context = schemaRecord(u, shapeFields(u, d.context), 2);
        if (u.badContext) breakRecord(u, context);
        return { principal: member(d.principals), action, resource: member(d.resources), context };
    });
}

module.exports = { addSchema, schemaText, schemaEntities, schemaRequests };
