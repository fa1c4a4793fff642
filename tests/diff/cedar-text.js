'use strict';
/*
 * cedar-text.js — spelling names and strings the way Cedar text wants them,
 * shared by the policy printer (gen.js) and the schema printer (gen-schema.js).
 */

const RESERVED = new Set(['true', 'false', 'if', 'then', 'else', 'in', 'is', 'like', 'has',
    '__cedar']);

/*
 * Body of a Cedar string literal: \u{..} for controls (and for all non-ASCII
 * when unicodeEscapes is set, so both spellings get tested); in a `like`
 * pattern a literal '*' is escaped too.
 */
function quoteBody(s, unicodeEscapes, pattern) {
    let out = '';
    for (const ch of s) {
        const c = ch.codePointAt(0);
        if (ch === '"' || ch === '\\') out += '\\' + ch;
        else if (ch === '\n') out += '\\n';
        else if (ch === '\t') out += '\\t';
        else if (ch === '\0') out += '\\0';
        else if (pattern && ch === '*') out += '\\*';
        else if (c < 0x20 || c === 0x7f || (unicodeEscapes && c > 0x7e)) out += `\\u{${c.toString(16)}}`;
        else out += ch;
    }
    return out;
}

const quote = (s, unicodeEscapes) => `"${quoteBody(s, unicodeEscapes, false)}"`;

/* Can s stand bare where Cedar takes an identifier (after `.`, `has`, as a record key)? */
const isIdent = (s) => /^[_a-zA-Z][_a-zA-Z0-9]*$/.test(s) && !RESERVED.has(s);

module.exports = { quoteBody, quote, isIdent };
