// CloudWatch Logs filter patterns, as FilterLogEvents applies them:
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html
//
// Supported: unstructured terms (case-sensitive, all must occur), quoted phrases, `-term`
// exclusions, `?term` alternatives (at least one must occur), `%regex%`, and JSON patterns
// `{ $.a.b[0] = "x*" && ($.n > 5 || $.flag IS TRUE) }` with =, !=, <, <=, >, >=, IS NULL,
// NOT EXISTS, IS TRUE/FALSE. Space-delimited `[a, b, ...]` patterns match on field count and
// per-field equality conditions. Departure: metric-filter-only features (dimensions, value
// extraction) do not apply to FilterLogEvents and are not parsed.
import { InvalidParameterException } from '../../generated/logs.js';

export type EventMatcher = (message: string) => boolean;

export function compileFilterPattern(pattern: string | undefined): EventMatcher {
  const p = (pattern ?? '').trim();
  if (p === '') return () => true;
  if (p.startsWith('{')) return compileJsonPattern(p);
  if (p.startsWith('[')) return compileSpaceDelimited(p);
  if (p.length > 1 && p.startsWith('%') && p.endsWith('%')) {
    let re: RegExp;
    try {
      re = new RegExp(p.slice(1, -1));
    } catch {
      throw invalid();
    }
    return (m) => re.test(m);
  }
  return compileTerms(p);
}

function invalid(): InvalidParameterException {
  return new InvalidParameterException('Invalid filter pattern');
}

function compileTerms(p: string): EventMatcher {
  const required: string[] = [];
  const excluded: string[] = [];
  const optional: string[] = [];
  let i = 0;
  while (i < p.length) {
    while (i < p.length && /\s/.test(p[i])) i++;
    if (i >= p.length) break;
    let kind: 'req' | 'not' | 'opt' = 'req';
    if (p[i] === '-' ) { kind = 'not'; i++; } else if (p[i] === '?') { kind = 'opt'; i++; }
    let term = '';
    if (p[i] === '"') {
      const end = p.indexOf('"', i + 1);
      if (end < 0) throw invalid();
      term = p.slice(i + 1, end);
      i = end + 1;
    } else {
      const start = i;
      while (i < p.length && !/\s/.test(p[i])) i++;
      term = p.slice(start, i);
    }
    if (term === '') continue;
    (kind === 'req' ? required : kind === 'not' ? excluded : optional).push(term);
  }
  return (m) =>
    required.every((t) => m.includes(t)) &&
    !excluded.some((t) => m.includes(t)) &&
    (optional.length === 0 || optional.some((t) => m.includes(t)));
}

// ---- JSON patterns ----

type JsonExpr =
  | { kind: 'and' | 'or'; left: JsonExpr; right: JsonExpr }
  | { kind: 'cmp'; path: (string | number)[]; op: string; value: string | number; quoted: boolean }
  | { kind: 'null' | 'notExists' | 'true' | 'false'; path: (string | number)[] };

function compileJsonPattern(p: string): EventMatcher {
  if (!p.endsWith('}')) throw invalid();
  const src = p.slice(1, -1);
  let pos = 0;
  const ws = () => { while (pos < src.length && /\s/.test(src[pos])) pos++; };
  const peek = (s: string) => { ws(); return src.startsWith(s, pos); };
  const eat = (s: string) => { if (peek(s)) { pos += s.length; return true; } return false; };

  const parseSelector = (): (string | number)[] => {
    ws();
    if (src[pos] !== '$') throw invalid();
    pos++;
    const path: (string | number)[] = [];
    for (;;) {
      if (src[pos] === '.') {
        pos++;
        const m = /^[A-Za-z0-9_\-@*]+/.exec(src.slice(pos));
        if (!m) throw invalid();
        path.push(m[0]);
        pos += m[0].length;
      } else if (src[pos] === '[') {
        const m = /^\[(\d+)\]/.exec(src.slice(pos));
        if (!m) throw invalid();
        path.push(Number(m[1]));
        pos += m[0].length;
      } else break;
    }
    return path;
  };

  const parseValue = (): { value: string | number; quoted: boolean } => {
    ws();
    if (src[pos] === '"') {
      const end = src.indexOf('"', pos + 1);
      if (end < 0) throw invalid();
      const value = src.slice(pos + 1, end);
      pos = end + 1;
      return { value, quoted: true };
    }
    const m = /^[^\s()&|]+/.exec(src.slice(pos));
    if (!m) throw invalid();
    pos += m[0].length;
    const n = Number(m[0]);
    return { value: m[0] !== '' && Number.isFinite(n) ? n : m[0], quoted: false };
  };

  const parsePrimary = (): JsonExpr => {
    if (eat('(')) {
      const e = parseOr();
      if (!eat(')')) throw invalid();
      return e;
    }
    const path = parseSelector();
    ws();
    const rest = src.slice(pos);
    let m: RegExpExecArray | null;
    if ((m = /^IS\s+NULL\b/i.exec(rest))) { pos += m[0].length; return { kind: 'null', path }; }
    if ((m = /^NOT\s+EXISTS\b/i.exec(rest))) { pos += m[0].length; return { kind: 'notExists', path }; }
    if ((m = /^IS\s+TRUE\b/i.exec(rest))) { pos += m[0].length; return { kind: 'true', path }; }
    if ((m = /^IS\s+FALSE\b/i.exec(rest))) { pos += m[0].length; return { kind: 'false', path }; }
    const op = ['!=', '>=', '<=', '=', '>', '<'].find((o) => rest.startsWith(o));
    if (!op) throw invalid();
    pos += op.length;
    const { value, quoted } = parseValue();
    if (op !== '=' && op !== '!=' && typeof value !== 'number') throw invalid();
    return { kind: 'cmp', path, op, value, quoted };
  };
  const parseAnd = (): JsonExpr => {
    let left = parsePrimary();
    while (eat('&&')) left = { kind: 'and', left, right: parsePrimary() };
    return left;
  };
  function parseOr(): JsonExpr {
    let left = parseAnd();
    while (eat('||')) left = { kind: 'or', left, right: parseAnd() };
    return left;
  }

  const expr = parseOr();
  ws();
  if (pos !== src.length) throw invalid();
  return (message) => {
    let doc: unknown;
    try {
      doc = JSON.parse(message);
    } catch {
      return false;
    }
    if (doc === null || typeof doc !== 'object') return false;
    return evalJson(expr, doc);
  };
}

const MISSING = Symbol('missing');

function select(doc: unknown, path: (string | number)[]): unknown {
  let cur: unknown = doc;
  for (const k of path) {
    if (cur === null || typeof cur !== 'object') return MISSING;
    if (!(k in (cur as object))) return MISSING;
    cur = (cur as Record<string | number, unknown>)[k];
  }
  return cur;
}

function wildcardRegex(s: string): RegExp {
  return new RegExp('^' + s.split('*').map((x) => x.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*') + '$');
}

function evalJson(e: JsonExpr, doc: unknown): boolean {
  switch (e.kind) {
    case 'and': return evalJson(e.left, doc) && evalJson(e.right, doc);
    case 'or': return evalJson(e.left, doc) || evalJson(e.right, doc);
    case 'null': return select(doc, e.path) === null;
    case 'notExists': return select(doc, e.path) === MISSING;
    case 'true': return select(doc, e.path) === true;
    case 'false': return select(doc, e.path) === false;
    case 'cmp': {
      const v = select(doc, e.path);
      if (v === MISSING) return false;
      if (typeof e.value === 'number' && !e.quoted) {
        if (typeof v !== 'number') {
          // Equality against a bare number also matches the same text in a string field.
          if (typeof v === 'string' && (e.op === '=' || e.op === '!=')) return (v === String(e.value)) === (e.op === '=');
          return e.op === '!=';
        }
        switch (e.op) {
          case '=': return v === e.value;
          case '!=': return v !== e.value;
          case '>': return v > e.value;
          case '<': return v < e.value;
          case '>=': return v >= e.value;
          case '<=': return v <= e.value;
        }
        return false;
      }
      const text = typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : v === null ? 'null' : undefined;
      if (text === undefined) return e.op === '!=';
      const eq = wildcardRegex(String(e.value)).test(text);
      return e.op === '=' ? eq : !eq;
    }
  }
}

// ---- space-delimited patterns ----

function compileSpaceDelimited(p: string): EventMatcher {
  if (!p.endsWith(']')) throw invalid();
  const specs = p.slice(1, -1).split(',').map((s) => s.trim()).filter((s) => s !== '');
  type Field = { ellipsis: boolean; test?: (v: string) => boolean };
  const fields: Field[] = specs.map((spec) => {
    if (spec === '...') return { ellipsis: true };
    const alternatives = spec.split('||').map((alt) => alt.split('&&').map(compileFieldCondition));
    if (alternatives.every((a) => a.every((c) => c === undefined))) return { ellipsis: false };
    return { ellipsis: false, test: (v) => alternatives.some((a) => a.every((c) => !c || c(v))) };
  });
  return (message) => {
    const values = splitDelimited(message);
    const fixed = fields.filter((f) => !f.ellipsis).length;
    const hasEllipsis = fields.some((f) => f.ellipsis);
    if (hasEllipsis ? values.length < fixed : values.length !== fixed) return false;
    let vi = 0;
    for (let fi = 0; fi < fields.length; fi++) {
      const f = fields[fi];
      if (f.ellipsis) {
        const remainingFixed = fields.slice(fi + 1).filter((x) => !x.ellipsis).length;
        vi = values.length - remainingFixed;
        continue;
      }
      if (f.test && !f.test(values[vi])) return false;
      vi++;
    }
    return true;
  };
}

function compileFieldCondition(cond: string): ((v: string) => boolean) | undefined {
  const m = /^\s*[A-Za-z0-9_\-]*\s*(!=|>=|<=|=|>|<)\s*(.+?)\s*$/.exec(cond);
  if (!m) {
    if (/^\s*[A-Za-z0-9_\-]+\s*$/.test(cond)) return undefined;
    throw invalid();
  }
  const [, op, raw] = m;
  const value = raw.startsWith('"') && raw.endsWith('"') ? raw.slice(1, -1) : raw;
  const num = Number(value);
  if (op === '=' || op === '!=') {
    const re = wildcardRegex(value);
    return (v) => re.test(v) === (op === '=');
  }
  if (!Number.isFinite(num)) throw invalid();
  return (v) => {
    const n = Number(v);
    if (!Number.isFinite(n)) return false;
    return op === '>' ? n > num : op === '<' ? n < num : op === '>=' ? n >= num : n <= num;
  };
}

/** Splits on spaces, keeping "quoted" and [bracketed] runs together, as Logs does. */
function splitDelimited(message: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < message.length) {
    while (i < message.length && message[i] === ' ') i++;
    if (i >= message.length) break;
    const open = message[i];
    const close = open === '"' ? '"' : open === '[' ? ']' : undefined;
    if (close) {
      const end = message.indexOf(close, i + 1);
      if (end > 0) {
        out.push(message.slice(i + 1, end));
        i = end + 1;
        continue;
      }
    }
    const start = i;
    while (i < message.length && message[i] !== ' ') i++;
    out.push(message.slice(start, i));
  }
  return out;
}
