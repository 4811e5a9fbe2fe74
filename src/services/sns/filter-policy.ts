// The SNS subscription filter-policy language, which is also (give or take a few operators)
// the EventBridge event-pattern language that Lambda event source mappings use for
// FilterCriteria. No SNS or HTTP knowledge here: callers hand in parsed JSON.
//
//   https://docs.aws.amazon.com/sns/latest/dg/sns-subscription-filter-policies.html
//   https://docs.aws.amazon.com/sns/latest/dg/subscription-filter-policy-constraints.html
//   https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns-content-based-filtering.html
//
// API:
//   checkFilterPolicy(policy, scope)      SNS validation; throws FilterPolicyError (message without any prefix)
//   checkEventPattern(pattern)            EventBridge-style validation (FilterCriteria), same error type
//   matchesPattern(pattern, document)     body-style matching on any JSON value (nested keys,
//                                         arrays matched element-wise, EventBridge semantics)
//   matchesMessageAttributes(policy, attrs)  attribute-scope matching on SNS/SQS message attributes
//   matchesMessageBody(policy, body)      body-scope matching on a message body string (JSON)

export type FilterPolicyScope = 'MessageAttributes' | 'MessageBody';
export type Pattern = { [key: string]: unknown };

/** A policy AWS would refuse; `message` is AWS's wording after the "FilterPolicy: " part. */
export class FilterPolicyError extends Error {}

// ---- validation ----

const MAX_KEYS = 5;
const MAX_COMBINATIONS = 150;

/** Validates a parsed filter policy as SNS does at Subscribe/SetSubscriptionAttributes time. */
export function checkFilterPolicy(policy: unknown, scope: FilterPolicyScope = 'MessageAttributes'): void {
  if (!isObject(policy)) throw new FilterPolicyError('FilterPolicy: Filter policy must be a JSON object');
  if (countKeys(policy) > MAX_KEYS) throw new FilterPolicyError('FilterPolicy: Filter policy can not have more than 5 keys');
  const combos = checkLevel(policy, scope, 1);
  if (combos > MAX_COMBINATIONS) throw new FilterPolicyError('FilterPolicy: Filter policy is too complex');
}

/** Top-level keys; an `$or` counts as its widest branch. Nested keys count as their parent only. */
function countKeys(policy: Pattern): number {
  let n = 0;
  let widestOr = 0;
  for (const [k, v] of Object.entries(policy)) {
    if (k === '$or' && Array.isArray(v)) {
      for (const branch of v) if (isObject(branch)) widestOr = Math.max(widestOr, countKeys(branch));
    } else n++;
  }
  return n + widestOr;
}

/** Checks one level and returns its number of combinations (AWS's complexity measure). */
function checkLevel(policy: Pattern, scope: FilterPolicyScope, depth: number): number {
  let combos = 1;
  for (const [key, value] of Object.entries(policy)) {
    if (key === '$or') {
      if (!Array.isArray(value) || value.length < 2) throw new FilterPolicyError('FilterPolicy: Value of $or must be an array of at least 2 objects');
      let sum = 0;
      for (const branch of value) {
        if (!isObject(branch)) throw new FilterPolicyError('FilterPolicy: Value of $or must be an array of at least 2 objects');
        sum += checkLevel(branch, scope, depth);
      }
      combos *= sum;
    } else if (Array.isArray(value)) {
      if (value.length === 0) throw new FilterPolicyError('FilterPolicy: Empty arrays are not allowed');
      for (const rule of value) checkRule(rule);
      combos *= value.length * depth;
    } else if (isObject(value)) {
      if (scope === 'MessageAttributes') throw new FilterPolicyError('Filter policy scope MessageAttributes does not support nested filter policy');
      combos *= checkLevel(value, scope, depth + 1);
    } else {
      throw new FilterPolicyError(`FilterPolicy: "${key}" must be an object or an array`);
    }
  }
  return combos;
}

function checkRule(rule: unknown, inAnythingBut = false): void {
  if (rule === null || typeof rule === 'string' || typeof rule === 'boolean') return;
  if (typeof rule === 'number') {
    if (!Number.isFinite(rule)) throw new FilterPolicyError('FilterPolicy: Match value must be String, number, true, false, or null');
    return;
  }
  if (!isObject(rule)) throw new FilterPolicyError('FilterPolicy: Match value must be String, number, true, false, or null');
  const entries = Object.entries(rule);
  if (entries.length !== 1) throw new FilterPolicyError('FilterPolicy: Only one key allowed in match expression');
  const [op, value] = entries[0];
  switch (op) {
    case 'prefix':
    case 'suffix':
    case 'equals-ignore-case':
    case 'wildcard':
      if (typeof value !== 'string') throw new FilterPolicyError(`FilterPolicy: ${op} match pattern must be a string`);
      if (op === 'wildcard' && value.includes('**')) throw new FilterPolicyError('FilterPolicy: Consecutive wildcard characters at pos ' + value.indexOf('**'));
      return;
    case 'anything-but':
      if (inAnythingBut) throw new FilterPolicyError('FilterPolicy: Unsupported anything-but pattern: anything-but');
      if (Array.isArray(value)) {
        if (value.length === 0) throw new FilterPolicyError('FilterPolicy: Empty arrays are not allowed');
        for (const v of value) {
          if (!(typeof v === 'string' || typeof v === 'number')) throw new FilterPolicyError('FilterPolicy: Inside anything but list, start|null|boolean is not supported.');
        }
        return;
      }
      if (isObject(value)) {
        const inner = Object.keys(value);
        if (inner.length !== 1 || !['prefix', 'suffix', 'equals-ignore-case', 'wildcard'].includes(inner[0])) {
          throw new FilterPolicyError(`FilterPolicy: Unsupported anything-but pattern: ${inner[0] ?? ''}`);
        }
        checkRule(value, true);
        return;
      }
      if (typeof value === 'string' || typeof value === 'number') return;
      throw new FilterPolicyError('FilterPolicy: Inside anything but list, start|null|boolean is not supported.');
    case 'exists':
      if (typeof value !== 'boolean') throw new FilterPolicyError('FilterPolicy: exists match pattern must be either true or false.');
      return;
    case 'numeric':
      checkNumeric(value);
      return;
    case 'cidr':
      checkCidr(value);
      return;
    default:
      throw new FilterPolicyError(`FilterPolicy: Unrecognized match type ${op}`);
  }
}

const LOWER_OPS = ['>', '>='];
const UPPER_OPS = ['<', '<='];

function checkNumeric(value: unknown): void {
  if (!Array.isArray(value) || value.length === 0) throw new FilterPolicyError('FilterPolicy: Invalid member in numeric match: ]');
  const [op1, v1, op2, v2, ...rest] = value;
  if (typeof op1 !== 'string') throw new FilterPolicyError(`FilterPolicy: Invalid member in numeric match: ${JSON.stringify(op1)}`);
  if (!['=', ...LOWER_OPS, ...UPPER_OPS].includes(op1)) throw new FilterPolicyError(`FilterPolicy: Unrecognized numeric range operator: ${op1}`);
  if (typeof v1 !== 'number') throw new FilterPolicyError(`FilterPolicy: Value of ${op1 === '=' ? 'equals' : op1} must be numeric`);
  if (value.length === 2) return;
  if (!LOWER_OPS.includes(op1)) throw new FilterPolicyError('FilterPolicy: Too many elements in numeric expression');
  if (typeof op2 !== 'string') throw new FilterPolicyError(`FilterPolicy: Bad value in numeric range: ${JSON.stringify(op2)}`);
  if (!UPPER_OPS.includes(op2)) throw new FilterPolicyError(`FilterPolicy: Bad numeric range operator: ${op2}`);
  if (typeof v2 !== 'number') throw new FilterPolicyError(`FilterPolicy: Value of ${op2} must be numeric`);
  if (v2 <= v1) throw new FilterPolicyError('FilterPolicy: Bottom must be less than top');
  if (rest.length) throw new FilterPolicyError('FilterPolicy: Too many terms in numeric range expression');
}

function checkCidr(value: unknown): void {
  if (typeof value !== 'string') throw new FilterPolicyError('FilterPolicy: prefix match pattern must be a string');
  const parts = value.split('/');
  if (parts.length !== 2) throw new FilterPolicyError("FilterPolicy: Malformed CIDR, one '/' required");
  if (!/^\d+$/.test(parts[1])) throw new FilterPolicyError('FilterPolicy: Malformed CIDR, mask bits must be an integer');
  if (!parseCidr(value)) throw new FilterPolicyError(`FilterPolicy: Nonstandard IP address: ${parts[0]}`);
}

/**
 * Validates an EventBridge-style pattern (Lambda FilterCriteria): nesting allowed at any depth,
 * no SNS key or combination limits, and the EventBridge forms of prefix/suffix/anything-but
 * with equals-ignore-case. Throws FilterPolicyError with a message like SNS's (callers word
 * their own error around it).
 */
export function checkEventPattern(pattern: unknown): void {
  if (!isObject(pattern)) throw new FilterPolicyError('Filter pattern must be a JSON object');
  const walk = (level: Pattern): void => {
    for (const [key, value] of Object.entries(level)) {
      if (key === '$or') {
        if (!Array.isArray(value) || value.length < 2 || !value.every(isObject)) throw new FilterPolicyError('Value of $or must be an array of at least 2 objects');
        value.forEach((b) => walk(b as Pattern));
      } else if (Array.isArray(value)) {
        if (value.length === 0) throw new FilterPolicyError('Empty arrays are not allowed');
        for (const rule of value) checkRule(relaxEventBridgeRule(rule));
      } else if (isObject(value)) walk(value);
      else throw new FilterPolicyError(`"${key}" must be an object or an array`);
    }
  };
  walk(pattern);
}

/** EventBridge-only spellings, reduced to the SNS form checkRule knows. */
function relaxEventBridgeRule(rule: unknown): unknown {
  if (!isObject(rule)) return rule;
  const [op, arg] = Object.entries(rule)[0] ?? [];
  if ((op === 'prefix' || op === 'suffix') && isObject(arg) && typeof arg['equals-ignore-case'] === 'string') return { [op]: arg['equals-ignore-case'] };
  if (op === 'equals-ignore-case' && Array.isArray(arg) && arg.every((a) => typeof a === 'string')) return { [op]: arg[0] ?? '' };
  if (op === 'anything-but' && isObject(arg) && Array.isArray(arg['equals-ignore-case'])) return { 'anything-but': arg['equals-ignore-case'] };
  return rule;
}

// ---- matching ----

/**
 * EventBridge-style matching of a pattern against a JSON document. Nested policy objects
 * descend into nested objects; arrays in the document are flattened, so a leaf rule matches
 * when any element matches (each key is matched independently, as EventBridge does).
 */
export function matchesPattern(pattern: Pattern, document: unknown): boolean {
  return matchLevel(pattern, flatten([document]));
}

/**
 * Attribute-scope matching. String and custom String.* types compare as strings, Number.*
 * as numbers, String.Array as its JSON elements; Binary attributes are never matched (as on AWS).
 */
export function matchesMessageAttributes(
  policy: Pattern,
  attributes: Record<string, { DataType: string; StringValue?: string; BinaryValue?: unknown }> | undefined,
): boolean {
  const doc: Record<string, unknown> = {};
  for (const [name, attr] of Object.entries(attributes ?? {})) {
    const type = attr.DataType;
    if (type.startsWith('Binary') || attr.StringValue === undefined) continue;
    if (type.startsWith('Number')) {
      const n = Number(attr.StringValue);
      doc[name] = Number.isFinite(n) ? n : attr.StringValue;
    } else if (type === 'String.Array') {
      try {
        const arr = JSON.parse(attr.StringValue);
        doc[name] = Array.isArray(arr) ? arr : attr.StringValue;
      } catch {
        doc[name] = attr.StringValue;
      }
    } else doc[name] = attr.StringValue;
  }
  return matchesPattern(policy, doc);
}

/** Body-scope matching: a body that is not a JSON object matches no policy. */
export function matchesMessageBody(policy: Pattern, body: string): boolean {
  let doc: unknown;
  try {
    doc = JSON.parse(body);
  } catch {
    return false;
  }
  if (!isObject(doc)) return false;
  return matchesPattern(policy, doc);
}

function flatten(values: unknown[]): unknown[] {
  const out: unknown[] = [];
  for (const v of values) {
    if (Array.isArray(v)) out.push(...flatten(v));
    else out.push(v);
  }
  return out;
}

function matchLevel(pattern: Pattern, nodes: unknown[]): boolean {
  for (const [key, rule] of Object.entries(pattern)) {
    if (key === '$or' && Array.isArray(rule)) {
      if (!rule.some((branch) => isObject(branch) && matchLevel(branch, nodes))) return false;
      continue;
    }
    const holders = nodes.filter((n): n is Pattern => isObject(n) && Object.prototype.hasOwnProperty.call(n, key));
    const values = flatten(holders.map((h) => h[key]));
    if (Array.isArray(rule)) {
      if (!rule.some((r) => matchLeaf(r, values, holders.length > 0))) return false;
    } else if (isObject(rule)) {
      if (!matchLevel(rule, values)) return false;
    } else return false;
  }
  return true;
}

function matchLeaf(rule: unknown, values: unknown[], present: boolean): boolean {
  if (isObject(rule) && 'exists' in rule) {
    // exists:true needs a leaf value (not only an object) present; exists:false its absence.
    const leafPresent = present && values.some((v) => !isObject(v));
    return rule.exists === true ? leafPresent : !leafPresent;
  }
  if (isObject(rule) && 'anything-but' in rule) {
    // An absent key matches no anything-but rule.
    return values.some((v) => !isObject(v) && v !== null && !anythingButExcludes(rule['anything-but'], v));
  }
  return values.some((v) => matchValue(rule, v));
}

function anythingButExcludes(spec: unknown, v: unknown): boolean {
  if (Array.isArray(spec)) return spec.some((s) => matchValue(s, v));
  return matchValue(spec, v);
}

function matchValue(rule: unknown, v: unknown): boolean {
  if (rule === null) return v === null;
  if (typeof rule === 'string') return v === rule;
  if (typeof rule === 'number') return typeof v === 'number' && v === rule;
  if (typeof rule === 'boolean') return v === rule;
  if (!isObject(rule)) return false;
  const [op, arg] = Object.entries(rule)[0] ?? [];
  switch (op) {
    case 'prefix':
    case 'suffix': {
      if (typeof v !== 'string') return false;
      // EventBridge also takes {"prefix": {"equals-ignore-case": "x"}}.
      const ignoreCase = isObject(arg) && typeof arg['equals-ignore-case'] === 'string';
      const needle = ignoreCase ? (arg['equals-ignore-case'] as string).toLowerCase() : arg;
      if (typeof needle !== 'string') return false;
      const hay = ignoreCase ? v.toLowerCase() : v;
      return op === 'prefix' ? hay.startsWith(needle) : hay.endsWith(needle);
    }
    case 'equals-ignore-case':
      if (Array.isArray(arg)) return arg.some((a) => matchValue({ 'equals-ignore-case': a }, v));
      return typeof v === 'string' && typeof arg === 'string' && v.toLowerCase() === arg.toLowerCase();
    case 'wildcard':
      return typeof v === 'string' && typeof arg === 'string' && wildcardMatch(arg, v);
    case 'numeric':
      return typeof v === 'number' && Array.isArray(arg) && numericMatch(arg, v);
    case 'cidr':
      return typeof v === 'string' && typeof arg === 'string' && cidrMatch(arg, v);
    case 'anything-but':
      return v !== null && !isObject(v) && !anythingButExcludes(arg, v);
    case 'exists':
      return arg === true;
    default:
      return false;
  }
}

function numericMatch(ops: unknown[], v: number): boolean {
  for (let i = 0; i + 1 < ops.length; i += 2) {
    const op = ops[i];
    const n = ops[i + 1] as number;
    const ok = op === '=' ? v === n : op === '>' ? v > n : op === '>=' ? v >= n : op === '<' ? v < n : op === '<=' ? v <= n : false;
    if (!ok) return false;
  }
  return true;
}

function wildcardMatch(pattern: string, v: string): boolean {
  // `\*` is a literal star; `*` matches any run of characters.
  let re = '^';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\' && pattern[i + 1] === '*') { re += '\\*'; i++; }
    else if (c === '*') re += '.*';
    else re += c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(re + '$', 's').test(v);
}

// ---- CIDR ----

function parseIp(ip: string): { bits: bigint; width: number } | undefined {
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(ip)) {
    const parts = ip.split('.').map(Number);
    if (parts.some((p) => p > 255)) return undefined;
    return { bits: parts.reduce((acc, p) => (acc << 8n) | BigInt(p), 0n), width: 32 };
  }
  if (ip.includes(':')) {
    const halves = ip.split('::');
    if (halves.length > 2) return undefined;
    const head = halves[0] ? halves[0].split(':') : [];
    const tail = halves.length === 2 && halves[1] ? halves[1].split(':') : [];
    const missing = 8 - head.length - tail.length;
    if ((halves.length === 1 && missing !== 0) || missing < 0) return undefined;
    const groups = [...head, ...Array(halves.length === 2 ? missing : 0).fill('0'), ...tail];
    if (groups.some((g) => !/^[0-9a-fA-F]{1,4}$/.test(g))) return undefined;
    return { bits: groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n), width: 128 };
  }
  return undefined;
}

function parseCidr(cidr: string): { network: bigint; mask: bigint; width: number } | undefined {
  const [ip, bitsText] = cidr.split('/');
  const addr = parseIp(ip);
  const bits = Number(bitsText);
  if (!addr || !Number.isInteger(bits) || bits < 0 || bits > addr.width) return undefined;
  const all = (1n << BigInt(addr.width)) - 1n;
  const mask = all ^ ((1n << BigInt(addr.width - bits)) - 1n);
  return { network: addr.bits & mask, mask, width: addr.width };
}

function cidrMatch(cidr: string, v: string): boolean {
  const c = parseCidr(cidr);
  const a = parseIp(v);
  return !!c && !!a && a.width === c.width && (a.bits & c.mask) === c.network;
}

function isObject(v: unknown): v is Pattern {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
