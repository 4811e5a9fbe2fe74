// The filter-policy matcher on its own: every operator with matching and non-matching input,
// body scope, $or, and AWS's validation errors and limits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  checkEventPattern,
  checkFilterPolicy,
  FilterPolicyError,
  matchesMessageAttributes,
  matchesMessageBody,
  matchesPattern,
} from '../../src/services/sns/filter-policy.js';

const S = (v: string) => ({ DataType: 'String', StringValue: v });
const N = (v: number | string) => ({ DataType: 'Number', StringValue: String(v) });
const A = (v: unknown[]) => ({ DataType: 'String.Array', StringValue: JSON.stringify(v) });

function attrs(policy: object, a: Record<string, { DataType: string; StringValue?: string }>): boolean {
  checkFilterPolicy(policy, 'MessageAttributes');
  return matchesMessageAttributes(policy as never, a);
}

test('exact strings, numbers, String.Array, AND across keys, OR within a key', () => {
  assert.equal(attrs({ colour: ['red', 'green'] }, { colour: S('red') }), true);
  assert.equal(attrs({ colour: ['red', 'green'] }, { colour: S('blue') }), false);
  assert.equal(attrs({ colour: ['red'] }, {}), false);
  assert.equal(attrs({ colour: ['red'], size: ['L'] }, { colour: S('red'), size: S('M') }), false);
  assert.equal(attrs({ colour: ['red'], size: ['L'] }, { colour: S('red'), size: S('L') }), true);
  assert.equal(attrs({ price: [100] }, { price: N('100.0') }), true);
  assert.equal(attrs({ price: [100] }, { price: S('100') }), false, 'a String attribute is not a number');
  assert.equal(attrs({ tags: ['b'] }, { tags: A(['a', 'b']) }), true);
  assert.equal(attrs({ tags: ['c'] }, { tags: A(['a', 'b']) }), false);
  assert.equal(attrs({ b: ['x'] }, { b: { DataType: 'Binary' } }), false, 'binary attributes are not matched');
  assert.equal(attrs({ colour: ['red'] }, { colour: { DataType: 'String.custom', StringValue: 'red' } }), true);
});

test('prefix, suffix, equals-ignore-case, wildcard', () => {
  assert.equal(attrs({ a: [{ prefix: 'ord-' }] }, { a: S('ord-1') }), true);
  assert.equal(attrs({ a: [{ prefix: 'ord-' }] }, { a: S('xord-1') }), false);
  assert.equal(attrs({ a: [{ suffix: '.jpg' }] }, { a: S('x.jpg') }), true);
  assert.equal(attrs({ a: [{ suffix: '.jpg' }] }, { a: S('x.png') }), false);
  assert.equal(attrs({ a: [{ 'equals-ignore-case': 'ReD' }] }, { a: S('rEd') }), true);
  assert.equal(attrs({ a: [{ 'equals-ignore-case': 'ReD' }] }, { a: S('reds') }), false);
  assert.equal(attrs({ a: [{ wildcard: 'img/*.png' }] }, { a: S('img/cat.png') }), true);
  assert.equal(attrs({ a: [{ wildcard: 'img/*.png' }] }, { a: S('doc/cat.png') }), false);
});

test('anything-but: values, single value, numbers, prefix, suffix; absent key never matches', () => {
  assert.equal(attrs({ a: [{ 'anything-but': ['red', 'blue'] }] }, { a: S('green') }), true);
  assert.equal(attrs({ a: [{ 'anything-but': ['red', 'blue'] }] }, { a: S('red') }), false);
  assert.equal(attrs({ a: [{ 'anything-but': 'red' }] }, { a: S('red') }), false);
  assert.equal(attrs({ a: [{ 'anything-but': 'red' }] }, {}), false);
  assert.equal(attrs({ n: [{ 'anything-but': [100, 200] }] }, { n: N(150) }), true);
  assert.equal(attrs({ n: [{ 'anything-but': [100, 200] }] }, { n: N(200) }), false);
  assert.equal(attrs({ a: [{ 'anything-but': { prefix: 'test-' } }] }, { a: S('test-1') }), false);
  assert.equal(attrs({ a: [{ 'anything-but': { prefix: 'test-' } }] }, { a: S('prod-1') }), true);
  assert.equal(attrs({ a: [{ 'anything-but': { suffix: '.tmp' } }] }, { a: S('x.tmp') }), false);
  assert.equal(attrs({ a: [{ 'anything-but': { suffix: '.tmp' } }] }, { a: S('x.txt') }), true);
});

test('numeric ranges, exists, cidr', () => {
  const range = { price: [{ numeric: ['>', 0, '<=', 100] }] };
  assert.equal(attrs(range, { price: N(100) }), true);
  assert.equal(attrs(range, { price: N(0) }), false);
  assert.equal(attrs(range, { price: N(100.5) }), false);
  assert.equal(attrs({ p: [{ numeric: ['=', 3.5] }] }, { p: N('3.5') }), true);
  assert.equal(attrs({ p: [{ numeric: ['<', 0] }] }, { p: N(-1) }), true);
  assert.equal(attrs({ p: [{ numeric: ['<', 0] }] }, { p: S('-1') }), false);
  assert.equal(attrs({ a: [{ exists: true }] }, { a: S('x') }), true);
  assert.equal(attrs({ a: [{ exists: true }] }, { b: S('x') }), false);
  assert.equal(attrs({ a: [{ exists: false }] }, { b: S('x') }), true);
  assert.equal(attrs({ a: [{ exists: false }] }, { a: S('x') }), false);
  assert.equal(attrs({ ip: [{ cidr: '10.0.0.0/24' }] }, { ip: S('10.0.0.255') }), true);
  assert.equal(attrs({ ip: [{ cidr: '10.0.0.0/24' }] }, { ip: S('10.0.1.1') }), false);
  assert.equal(attrs({ ip: [{ cidr: '2001:db8::/32' }] }, { ip: S('2001:db8:1::5') }), true);
  assert.equal(attrs({ ip: [{ cidr: '2001:db8::/32' }] }, { ip: S('2001:db9::5') }), false);
});

test('$or at the top level and inside body scope', () => {
  const p = { source: ['aws.cloudwatch'], $or: [{ metricName: ['CPU'] }, { namespace: ['AWS/EC2'] }] };
  assert.equal(attrs(p, { source: S('aws.cloudwatch'), namespace: S('AWS/EC2') }), true);
  assert.equal(attrs(p, { source: S('aws.cloudwatch'), namespace: S('AWS/S3') }), false);
  assert.equal(attrs(p, { source: S('x'), metricName: S('CPU') }), false);
});

test('body scope: nested keys, arrays, null, booleans; non-JSON body never matches', () => {
  const policy = { order: { status: ['paid'], total: [{ numeric: ['>=', 10] }] }, items: { sku: [{ prefix: 'A' }] } };
  checkFilterPolicy(policy, 'MessageBody');
  assert.equal(matchesMessageBody(policy, JSON.stringify({ order: { status: 'paid', total: 12 }, items: [{ sku: 'B1' }, { sku: 'A7' }] })), true);
  assert.equal(matchesMessageBody(policy, JSON.stringify({ order: { status: 'paid', total: 9 }, items: [{ sku: 'A7' }] })), false);
  assert.equal(matchesMessageBody(policy, JSON.stringify({ order: { status: 'open', total: 12 }, items: [{ sku: 'A7' }] })), false);
  assert.equal(matchesMessageBody(policy, 'paid'), false);
  assert.equal(matchesMessageBody({ a: [null] }, '{"a":null}'), true);
  assert.equal(matchesMessageBody({ a: [true] }, '{"a":true}'), true);
  assert.equal(matchesMessageBody({ a: [true] }, '{"a":"true"}'), false);
  assert.equal(matchesMessageBody({ a: { b: [{ exists: false }] } }, '{"a":{}}'), true);
  assert.equal(matchesMessageBody({ a: { b: [{ exists: false }] } }, '{"a":{"b":1}}'), false);
  assert.equal(matchesMessageBody({ $or: [{ a: ['1'] }, { b: { c: ['2'] } }] }, '{"b":{"c":"2"}}'), true);
  // event-source-mapping style: any JSON document
  assert.equal(matchesPattern({ body: { temp: [{ numeric: ['>', 30] }] } }, { body: { temp: 31 } }), true);
  assert.equal(matchesPattern({ body: { temp: [{ numeric: ['>', 30] }] } }, { body: { temp: 30 } }), false);
});

function rejects(policy: unknown, scope: 'MessageAttributes' | 'MessageBody', message: string) {
  assert.throws(() => checkFilterPolicy(policy, scope), (e: unknown) => e instanceof FilterPolicyError && e.message === message);
}

test('validation: AWS messages for bad policies and the complexity limits', () => {
  rejects({ a: [1], b: [1], c: [1], d: [1], e: [1], f: [1] }, 'MessageAttributes', 'FilterPolicy: Filter policy can not have more than 5 keys');
  rejects({ a: Array.from({ length: 151 }, (_, i) => `v${i}`) }, 'MessageAttributes', 'FilterPolicy: Filter policy is too complex');
  rejects({ a: { b: ['x'] } }, 'MessageAttributes', 'Filter policy scope MessageAttributes does not support nested filter policy');
  rejects({ a: [] }, 'MessageAttributes', 'FilterPolicy: Empty arrays are not allowed');
  rejects({ a: 'x' }, 'MessageAttributes', 'FilterPolicy: "a" must be an object or an array');
  rejects({ a: [{ prefix: 1 }] }, 'MessageAttributes', 'FilterPolicy: prefix match pattern must be a string');
  rejects({ a: [{ foo: 'x' }] }, 'MessageAttributes', 'FilterPolicy: Unrecognized match type foo');
  rejects({ a: [{ prefix: 'x', suffix: 'y' }] }, 'MessageAttributes', 'FilterPolicy: Only one key allowed in match expression');
  rejects({ a: [{ exists: 'yes' }] }, 'MessageAttributes', 'FilterPolicy: exists match pattern must be either true or false.');
  rejects({ a: [{ numeric: ['>', 'x'] }] }, 'MessageAttributes', 'FilterPolicy: Value of > must be numeric');
  rejects({ a: [{ numeric: ['>', 5, '<', 1] }] }, 'MessageAttributes', 'FilterPolicy: Bottom must be less than top');
  rejects({ a: [{ numeric: ['~', 5] }] }, 'MessageAttributes', 'FilterPolicy: Unrecognized numeric range operator: ~');
  rejects({ a: [{ cidr: '10.0.0.0' }] }, 'MessageAttributes', "FilterPolicy: Malformed CIDR, one '/' required");
  rejects({ a: [{ cidr: '10.0.0.300/8' }] }, 'MessageAttributes', 'FilterPolicy: Nonstandard IP address: 10.0.0.300');
  rejects({ a: [[1]] }, 'MessageAttributes', 'FilterPolicy: Match value must be String, number, true, false, or null');
  rejects({ a: [{ 'anything-but': { numeric: ['>', 1] } }] }, 'MessageAttributes', 'FilterPolicy: Unsupported anything-but pattern: numeric');
  // nested keys multiply by depth: 4 values at depth 3 and 3 values at depth 2 -> 72, allowed
  checkFilterPolicy({ a: { b: { c: ['1', '2', '3', '4'] } }, d: { e: ['1', '2', '3'] } }, 'MessageBody');
  // ...and 150 is the limit: 5 x 31 = 155
  rejects({ a: ['1', '2', '3', '4', '5'], b: Array.from({ length: 31 }, (_, i) => String(i)) }, 'MessageAttributes', 'FilterPolicy: Filter policy is too complex');
});

test('EventBridge forms for FilterCriteria: checkEventPattern and matchesPattern', () => {
  const pattern = {
    body: { user: { name: [{ prefix: { 'equals-ignore-case': 'AL' } }], role: [{ 'anything-but': { 'equals-ignore-case': ['Admin', 'Root'] } }] } },
    attributes: { ApproximateReceiveCount: [{ numeric: ['<', 3] }] },
    k: [{ 'equals-ignore-case': ['x', 'y'] }],
  };
  checkEventPattern(pattern);
  const doc = (name: string, role: string, n: number) => ({ body: { user: { name, role } }, attributes: { ApproximateReceiveCount: n }, k: 'Y' });
  assert.equal(matchesPattern(pattern, doc('alice', 'dev', 1)), true);
  assert.equal(matchesPattern(pattern, doc('bob', 'dev', 1)), false);
  assert.equal(matchesPattern(pattern, doc('alice', 'ADMIN', 1)), false);
  assert.equal(matchesPattern(pattern, doc('alice', 'dev', 5)), false);
  assert.throws(() => checkEventPattern({ a: [] }), FilterPolicyError);
  assert.throws(() => checkEventPattern({ a: [{ nope: 1 }] }), FilterPolicyError);
  assert.throws(() => checkEventPattern('x'), FilterPolicyError);
});
