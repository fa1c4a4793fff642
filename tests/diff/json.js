'use strict';
/*
 * json.js — exact JSON text for Cedar data, and a way to hand it to cedar-wasm.
 *
 * Cedar longs are 64-bit; JavaScript numbers are doubles, exact only to 2^53.
 * The generator therefore keeps every Cedar long as a BigInt, and this file
 * writes BigInts as their plain digits, so the files our CLI reads and the
 * text the reference parses carry the very same integers.
 *
 * cedar-wasm's glue turns each call argument into text with the global
 * JSON.stringify (which throws on BigInt) and parses that text in Rust.
 * installExactJson() makes that glue use the exact writer, so the reference
 * sees the same digits our CLI does. parseExact() reads JSON
 * back with every integer as a BigInt (used by the harness self-test).
 */

const plainStringify = JSON.stringify;

/* JSON text of v; BigInt written exactly, undefined members left out. */
function exactJson(v) {
    if (typeof v === 'bigint') return v.toString();
    if (Array.isArray(v)) return '[' + v.map(exactJson).join(',') + ']';
    if (v !== null && typeof v === 'object') {
        const members = Object.keys(v)
            .filter((k) => v[k] !== undefined)
            .map((k) => plainStringify(k) + ':' + exactJson(v[k]));
        return '{' + members.join(',') + '}';
    }
    return plainStringify(v);
}

/*
 * Make the one-argument JSON.stringify write BigInts exactly, for good (with
 * a replacer or indent it is the standard one). Installed once rather than
 * swapped around each call: swapping a builtin thousands of times a second
 * once crashed V8 (node 20) in its deoptimizer.
 */
function installExactJson() {
    JSON.stringify = function (v, ...rest) {
        return rest.length ? plainStringify(v, ...rest) : exactJson(v);
    };
}

/*
 * JSON.parse, except that integers become BigInts (exactly) and other
 * numbers stay doubles. Strings and literals are handed to JSON.parse piece
 * by piece, so escapes follow the standard exactly.
 */
function parseExact(text) {
    const token = /\s*(?:("(?:[^"\\]|\\.)*")|(-?\d+)(?![.eE\d])|(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)|(true|false|null)|([[\]{},:]))/y;
    let at = 0;
    const next = () => {
        token.lastIndex = at;
        const m = token.exec(text);
        if (!m) throw new SyntaxError(`JSON: unexpected text at offset ${at}`);
        at = token.lastIndex;
        return m;
    };
    const value = (m) => {
        if (m[1] !== undefined) return JSON.parse(m[1]);
        if (m[2] !== undefined) return BigInt(m[2]);
        if (m[3] !== undefined || m[4] !== undefined) return JSON.parse(m[3] || m[4]);
        if (m[5] === '[') return list();
        if (m[5] === '{') return object();
        throw new SyntaxError(`JSON: unexpected '${m[5]}' at offset ${at}`);
    };
    const list = () => {
        const out = [];
        let m = next();
        if (m[5] === ']') return out;
        for (;;) {
            out.push(value(m));
            m = next();
            if (m[5] === ']') return out;
            if (m[5] !== ',') throw new SyntaxError(`JSON: expected ',' or ']' at offset ${at}`);
            m = next();
        }
    };
    const object = () => {
        const out = {};
        let m = next();
        if (m[5] === '}') return out;
        for (;;) {
            if (m[1] === undefined) throw new SyntaxError(`JSON: expected a key at offset ${at}`);
            const key = JSON.parse(m[1]);
            if (next()[5] !== ':') throw new SyntaxError(`JSON: expected ':' at offset ${at}`);
            out[key] = value(next());
            m = next();
            if (m[5] === '}') return out;
            if (m[5] !== ',') throw new SyntaxError(`JSON: expected ',' or '}' at offset ${at}`);
            m = next();
        }
    };
    const v = value(next());
    if (text.slice(at).trim() !== '') throw new SyntaxError(`JSON: trailing text at offset ${at}`);
    return v;
}

module.exports = { exactJson, installExactJson, parseExact };
