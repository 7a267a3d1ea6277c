import { randomInt } from 'node:crypto';
/**
 * Generated hostile requests over every route and field of API.md and the README's additions, for the fuzz
 * suites (the handler over fakes here, a real local Berth in test/security/fuzz.test.ts). Pure and seeded:
 * request `i` of seed `s` is always the same, so a failure names `seed/index` and can be replayed alone.
 */

/** A deterministic PRNG (mulberry32). */
/**
 * The run's seed: BERTH_FUZZ_SEED replays one; CI runs a fixed seed (a red CI must be reproducible and not
 * depend on luck); elsewhere each run explores a new one, printed so a failure can be replayed.
 */
export function fuzzSeed(env: NodeJS.ProcessEnv = process.env): number {
  if (env.BERTH_FUZZ_SEED !== undefined) return Number(env.BERTH_FUZZ_SEED);
  return env.CI ? CI_SEED : randomInt(2 ** 31);
}
const CI_SEED = 20261126;

export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface FuzzTarget {
  /** A ready workspace of tenant A: requests on it reach the agent. */
  workspaceId: string;
  /** Its conversation: a valid create for it answers the same workspace (no new container). */
  conversationId: string;
  keys: { A: string; B: string };
}

export interface FuzzRequest {
  /** `seed/index`: replay with the same seed and index. */
  name: string;
  /** What was generated, for the failure report. */
  note: string[];
  method: string;
  /** Raw request target path (may hold bad percent-encodings and latin1 bytes). */
  path: string;
  /** Raw query string without `?` ('' for none). */
  query: string;
  /** In order, duplicates allowed; values are latin1 without CR/LF/NUL (what HTTP can carry). */
  headers: [string, string][];
  body?: Buffer;
  /** Send no Host header (an HTTP/1.0-style client); otherwise the runner adds one unless `headers` has it. */
  omitHost?: boolean;
  /** Whether a successful answer carries the workspace's own bytes (file contents, command output). */
  workspaceOutput: boolean;
}

type Rng = () => number;
const int = (r: Rng, lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
const pick = <T>(r: Rng, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
const chance = (r: Rng, p: number) => r() < p;

/** JSON text inserted verbatim by {@link toJson}: what JSON.stringify cannot make (deep nesting, bad escapes). */
class RawJson {
  constructor(readonly text: string) {}
}

function toJson(v: unknown): string {
  if (v instanceof RawJson) return v.text;
  if (Array.isArray(v)) return `[${v.map(toJson).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.entries(v)
      .map(([k, x]) => `${JSON.stringify(k)}:${toJson(x)}`)
      .join(',')}}`;
  }
  return v === undefined ? 'null' : JSON.stringify(v);
}

const deep = (depth: number, open: string, close: string, inner = '1') =>
  new RawJson(open.repeat(depth) + inner + close.repeat(depth));

function randomString(r: Rng, max: number): string {
  const alphabets = [
    'abcdefghijklmnopqrstuvwxyz0123456789',
    '._:-/~ %$&*?!#@\\"\'`{}[]()<>|;,=+^',
    'äöüßéèçñ日本語中文한국어ไทยעברית العربية',
    '\u0000\u0001\u0007\u001b\u007f\u0085\u00a0\u2028\u2029\ufeff\ufffe\uffff',
    '😀🦀👩‍👩‍👧‍👦🏳️‍🌈',
  ];
  const len = int(r, 0, max);
  let s = '';
  for (let i = 0; i < len; i++) s += pick(r, [...pick(r, alphabets)]);
  return s;
}

/** A value of the wrong type, out of range, or otherwise hostile, for any field. */
function weirdValue(r: Rng, note: string[]): unknown {
  const kind = int(r, 0, 27);
  note.push(`weird#${kind}`);
  switch (kind) {
    case 0:
      return null;
    case 1:
      return pick(r, [true, false]);
    case 2:
      return pick(r, [0, -1, -0, 1, 59, 86401, 900001, 2 ** 31, 2 ** 53 + 1, -(2 ** 63)]);
    case 3:
      return pick(r, [1e308, -1e308, 5e-324, 1.5, 0.1, 123456789012345680000]);
    case 4:
      return new RawJson(
        pick(r, ['1e309', '-1e309', '1' + '0'.repeat(400), '0.' + '0'.repeat(400) + '1', '-0.0']),
      );
    case 5:
      return pick(r, [
        'NaN',
        'Infinity',
        '-Infinity',
        '-0',
        '1e308',
        '0x1F',
        '  5',
        '5 ',
        '',
        ' ',
        'null',
        'true',
      ]);
    case 6:
      return randomString(r, 40);
    case 7:
      return 'x'.repeat(pick(r, [129, 257, 2047, 2049, 4097, 65_537]));
    case 8:
      // Big, still well inside the 6 MiB body limit.
      return pick(r, ['a', 'é', '😀', '\u0000']).repeat(int(r, 100_000, 1_200_000));
    case 9:
      return [];
    case 10:
      return {};
    case 11:
      return [randomString(r, 10), 1, null, {}, []];
    case 12:
      return deep(int(r, 50, 200_000), '[', ']');
    case 13:
      return deep(int(r, 50, 100_000), '{"a":', '}');
    case 14:
      return new RawJson('{"__proto__":{"polluted":1},"constructor":{"prototype":{"x":1}},"toString":1}');
    case 15:
      return new RawJson('"\\ud800\\udfff\\ud800"'); // lone surrogates
    case 16:
      return new RawJson('"\\u0000\\b\\f\\n\\r\\t"');
    case 17:
      return pick(r, ['.', '..', '...', '../..', '/', '//', '\\', '%2e%2e', '..%2f..', 'a/../../b', '~root']);
    case 18:
      return pick(r, [
        'ws_',
        'ws_' + 'A'.repeat(26),
        'ws_00000000000000000000000000',
        '*',
        '%',
        '$',
        'ws_\u0000',
      ]);
    case 19:
      return Array.from({ length: int(r, 100, 5000) }, (_, i) => `e${i}`);
    case 20:
      return Object.fromEntries(Array.from({ length: int(r, 33, 3000) }, (_, i) => [`k${i}`, `v${i}`]));
    case 21:
      return { ['k'.repeat(int(r, 64, 5000))]: 'v' };
    case 22:
      return { '': '', ' ': ' ', '\u0000': 'x', 'a=b': 'c', 'A;B': 'd' };
    case 23:
      // Integers past 2^53 as JSON text: the parser rounds them, the schema must still bound them.
      return new RawJson(
        pick(r, ['9007199254740993', '1.7976931348623157e308', '-9007199254740993', '18446744073709551616']),
      );
    case 24:
      return new RawJson(pick(r, ['1e-400', '-1e-400', '123.456e+789', '0e0']));
    case 25:
      return new RawJson('"' + '\\u0041'.repeat(int(r, 10, 50_000)) + '"');
    case 26:
      return pick(r, ['sleep', 'yes', 'cat', 'sh', '/bin/sh', 'kill', '-9']);
    default:
      return randomString(r, 300);
  }
}

/** A valid-looking value for an object field (what a mutation keeps when it does not pick this field). */
type BodyBase = Record<string, unknown>;

const SAFE_CMDS: readonly string[][] = [
  ['true'],
  ['echo', 'hi'],
  ['sh', '-c', 'exit 7'],
  ['printf', '%s', 'x'],
  ['ls', '-la', '/workspace'],
  ['cat'],
  ['/nonexistent/binary'],
  [''],
  ['sh', '-c', 'echo err >&2; exit 1'],
];

interface RouteSpec {
  method: string;
  path: string;
  /** The workspace route may be sent to the real workspace with this body (false: fuzzed ids only). */
  realId: 'always' | 'sometimes' | 'never' | 'none';
  body?: (r: Rng, t: FuzzTarget) => BodyBase;
  /** Fields with their own hostile values, besides the generic ones. */
  fieldValues?: Record<string, (r: Rng) => unknown>;
  query?: (r: Rng, note: string[]) => string;
  /** A body that must be invalid on the real workspace (a valid one would start something long). */
  mustBeInvalidOnReal?: boolean;
  rawBody?: boolean;
  workspaceOutput?: boolean;
}

const createBody = (r: Rng, t: FuzzTarget): BodyBase => ({
  conversationId: t.conversationId,
  ...(chance(r, 0.5) && { ttlSeconds: int(r, 60, 86_400) }),
  ...(chance(r, 0.5) && { labels: { team: 'a', 'x.y/z': 'v' } }),
  ...(chance(r, 0.3) && { template: 'default' }),
  ...(chance(r, 0.5) && { wait: chance(r, 0.5) }),
});
const execBody = (r: Rng): BodyBase => ({
  cmd: pick(r, SAFE_CMDS),
  ...(chance(r, 0.3) && { cwd: pick(r, ['/workspace', '/tmp', 'sub', '/nonexistent', '.', '']) }),
  ...(chance(r, 0.3) && { env: { A: '1', B_2: 'x' } }),
  ...(chance(r, 0.3) && { timeoutMs: int(r, 1, 5_000) }),
  ...(chance(r, 0.3) && { stdin: randomString(r, 100) }),
});
const executeBody = (r: Rng): BodyBase => ({
  prompt: 'say hi',
  ...(chance(r, 0.3) && { sessionId: 's-1' }),
  ...(chance(r, 0.3) && { maxTurns: int(r, 1, 5) }),
  ...(chance(r, 0.3) && { allowedTools: ['Read', 'Write'] }),
  ...(chance(r, 0.3) && { model: 'claude-x' }),
});
const egressBody = (r: Rng): BodyBase => ({
  ...(chance(r, 0.7) && { allowDomains: ['example.com', '*.example.org:8443'] }),
  ...(chance(r, 0.5) && { headerRules: [{ host: 'api.example.com', headers: { 'x-k': 'v' } }] }),
});

const PERCENT = [
  '%',
  '%z',
  '%zz',
  '%ff',
  '%c0%80',
  '%ed%a0%80',
  '%00',
  '%2F',
  '%2e%2e',
  '%%',
  '%u0041',
  '%E2%82',
];

const filePath = (r: Rng): string =>
  pick(r, [
    'a.txt',
    'dir/sub/file',
    '/workspace/x',
    '',
    '.',
    '..',
    '../../etc/passwd',
    '/etc/shadow',
    'a%00b',
    '%ff%fe',
    pick(r, PERCENT),
    encodeURIComponent(randomString(r, 50)),
    'x'.repeat(int(r, 256, 9000)),
    'dir/',
    '~',
    '-rf',
    'a\\b',
    '%2e%2e/%2e%2e/etc/passwd',
    'sym/../../..',
    encodeURIComponent('日本語/ファイル'),
    '/proc/self/environ',
  ]);

const listQuery = (r: Rng, note: string[]): string => {
  const parts: string[] = [];
  const add = (k: string, v: string) => parts.push(`${k}=${v}`);
  if (chance(r, 0.5))
    add(
      'status',
      pick(r, ['ready', 'failed', 'READY', 'bogus', '', 'ready,failed', '%00', 'x'.repeat(3000)]),
    );
  if (chance(r, 0.5))
    add(
      'limit',
      pick(r, [
        '1',
        '100',
        '0',
        '-1',
        '101',
        '1e308',
        'NaN',
        'Infinity',
        '',
        '1.5',
        '%20',
        '0x10',
        '99999999999999999999999',
        '5abc',
      ]),
    );
  if (chance(r, 0.5))
    add(
      'label',
      pick(r, [
        'team:a',
        'team',
        ':',
        'k:',
        ':v',
        'a:b:c',
        '%00:x',
        'k'.repeat(70) + ':v',
        'k:' + 'v'.repeat(300),
      ]),
    );
  if (chance(r, 0.5))
    add(
      'cursor',
      pick(r, [
        'abc',
        '',
        '!!!',
        '%ff',
        Buffer.from('{}').toString('base64url'),
        Buffer.from('{"pk":"x","sk":"y"}').toString('base64url'),
        Buffer.from('[1,2,3]').toString('base64url'),
        Buffer.from(JSON.stringify({ pk: 'A'.repeat(2000) })).toString('base64url'),
        'A'.repeat(int(r, 2040, 9000)),
      ]),
    );
  if (chance(r, 0.2)) add(pick(r, ['status', 'limit', 'label']), 'ready'); // a duplicate
  if (chance(r, 0.1)) add(pick(r, ['unknown', 'status[]', 'limit[a]', '__proto__', '']), '1');
  if (chance(r, 0.1)) parts.push(pick(r, ['&&&', '=', 'limit', '%zz=%zz', 'a=%']));
  note.push(`query`);
  return parts.join('&');
};

const ROUTES: readonly RouteSpec[] = [
  { method: 'GET', path: '/health', realId: 'none' },
  { method: 'GET', path: '/v1/pool', realId: 'none' },
  {
    method: 'POST',
    path: '/v1/workspaces',
    realId: 'none',
    body: createBody,
    fieldValues: {
      conversationId: (r) =>
        pick(r, ['.', '..', '...', '', 'a/b', '../x', 'x'.repeat(129), 'snapshot.tar', ' a']),
      ttlSeconds: (r) => pick(r, [59, 86_401, 0, -60, 1e308, 60.5]),
      labels: (r) =>
        pick(r, [{ '': 'v' }, { 'a b': 'v' }, { k: 'v'.repeat(257) }, { ['k'.repeat(64)]: 'v' }]),
    },
  },
  { method: 'GET', path: '/v1/workspaces', realId: 'none', query: listQuery },
  { method: 'GET', path: '/v1/workspaces/{id}', realId: 'sometimes' },
  { method: 'DELETE', path: '/v1/workspaces/{id}', realId: 'never' },
  {
    method: 'POST',
    path: '/v1/workspaces/{id}/keepalive',
    realId: 'sometimes',
    body: (r) => (chance(r, 0.7) ? { ttlSeconds: int(r, 60, 86_400) } : {}),
  },
  {
    method: 'POST',
    path: '/v1/workspaces/{id}/exec',
    realId: 'sometimes',
    body: execBody,
    fieldValues: { cmd: weirdArgv, env: (r) => weirdEnv(r) },
    workspaceOutput: true,
  },
  {
    method: 'POST',
    path: '/v1/workspaces/{id}/exec/binary',
    realId: 'sometimes',
    body: execBody,
    fieldValues: { cmd: weirdArgv, env: (r) => weirdEnv(r) },
    workspaceOutput: true,
  },
  {
    method: 'POST',
    path: '/v1/workspaces/{id}/execute',
    realId: 'sometimes',
    body: executeBody,
    mustBeInvalidOnReal: true,
  },
  {
    method: 'GET',
    path: '/v1/workspaces/{id}/files',
    realId: 'sometimes',
    query: (r) => `path=${filePath(r)}`,
    workspaceOutput: true,
  },
  {
    method: 'PUT',
    path: '/v1/workspaces/{id}/files',
    realId: 'sometimes',
    query: (r) => `path=fuzz/${filePath(r)}`,
    rawBody: true,
  },
  {
    method: 'DELETE',
    path: '/v1/workspaces/{id}/files',
    realId: 'sometimes',
    query: (r) => `path=fuzz/${filePath(r)}`,
  },
  { method: 'POST', path: '/v1/workspaces/{id}/pause', realId: 'never' },
  { method: 'POST', path: '/v1/workspaces/{id}/resume', realId: 'sometimes' },
  {
    method: 'PUT',
    path: '/v1/workspaces/{id}/egress',
    realId: 'sometimes',
    body: egressBody,
    fieldValues: {
      allowDomains: (r) => [
        pick(r, [
          '10.0.0.1',
          '*.',
          '*',
          'a..b',
          '-a.com',
          'a.com:0',
          'a.com:99999',
          'A'.repeat(300),
          'ex ample.com',
        ]),
      ],
      headerRules: (r) => [
        {
          host: pick(r, ['a.com', '*.a.com', '1.2.3.4', 'a.com:443', '']),
          headers: pick(r, [
            {},
            { 'x-a': 'b\r\nc' },
            { 'bad name': 'v' },
            { host: 'x' },
            { 'x-a': 'v'.repeat(9000) },
          ]),
        },
      ],
    },
  },
];

/** In API.md, not (yet) served: each must still answer in API.md's shape (picked less often). */
const UNSERVED_ROUTES: readonly RouteSpec[] = [
  { method: 'POST', path: '/v1/workspaces/{id}/commands', realId: 'sometimes', body: execBody },
  { method: 'GET', path: '/v1/workspaces/{id}/commands/cmd_1/events', realId: 'sometimes' },
  { method: 'POST', path: '/v1/workspaces/{id}/runs/run_1/abort', realId: 'sometimes' },
  {
    method: 'POST',
    path: '/v1/workspaces/{id}/files/uploads',
    realId: 'sometimes',
    body: () => ({ path: 'a', size: 1 }),
  },
  { method: 'POST', path: '/v1/ws/tickets', realId: 'none' },
  { method: 'GET', path: '/v1/openapi.json', realId: 'none' },
];

/** An argv the kernel may refuse (one argument over 128 KiB, all of them over ARG_MAX) or a program may choke on. */
function weirdArgv(r: Rng): string[] {
  if (chance(r, 0.2)) return Array.from({ length: int(r, 25, 45) }, () => 'y'.repeat(100_000));
  return [pick(r, SAFE_CMDS)[0]!, weirdArg(r)];
}

function weirdArg(r: Rng): string {
  return pick(r, [
    'x'.repeat(int(r, 100_000, 140_000)),
    'é'.repeat(131_072), // within the schema's 131,072 characters, twice the kernel's 128 KiB per argument
    '\u0000',
    '-',
    '--help',
    '日本語',
    '$(id)',
    '`id`',
  ]);
}

function weirdEnv(r: Rng): unknown {
  return pick(r, [
    { PATH: '' },
    { LD_PRELOAD: '/nonexistent.so' },
    { HOME: '\u0000' },
    { A: 'x'.repeat(200_000) },
    Object.fromEntries(Array.from({ length: 2000 }, (_, i) => [`V${i}`, 'x'.repeat(500)])),
    new RawJson('{"__proto__":"x","constructor":"y"}'),
    { '1A': 'x' },
    { 'A-B': 'x' },
  ]);
}

/** A workspace id for the path: the real one, or one of many malformed/unknown ones. */
function idFor(r: Rng, spec: RouteSpec, t: FuzzTarget, note: string[]): { id: string; real: boolean } {
  const useReal = spec.realId === 'always' || (spec.realId === 'sometimes' && chance(r, 0.75));
  if (useReal) {
    note.push('real id');
    return { id: t.workspaceId, real: true };
  }
  const id = pick(r, [
    'ws_' + 'a'.repeat(26),
    t.workspaceId.toUpperCase(),
    t.workspaceId + '%00',
    t.workspaceId + '%2F..',
    encodeURIComponent(t.workspaceId + ' '),
    '.',
    '..',
    '%2e',
    '%2e%2e',
    'x'.repeat(pick(r, [2047, 2048, 2049, 5000, 12_000])),
    'ws_' + 'a'.repeat(pick(r, [61, 62, 65, 2044, 2046, 59_997])), // ws_-shaped, past the id limit and DynamoDB's key limit
    pick(r, PERCENT),
    '\u00ff\u00fe',
    'ws_%F0%9F%98%80',
    ';',
    '~',
    'null',
    'undefined',
    '__proto__',
    'constructor',
    '*',
  ]);
  note.push(`id ${JSON.stringify(id.slice(0, 40))}${id.length > 40 ? `…(${id.length})` : ''}`);
  return { id, real: false };
}

function contentType(r: Rng, note: string[]): string | undefined {
  if (chance(r, 0.75)) return 'application/json';
  const ct = pick(r, [
    undefined,
    '',
    'application/JSON',
    'application/json; charset=utf-8',
    'application/json; charset=utf-16',
    'application/json; charset="\u00ff"',
    'application/json;;;',
    'text/plain',
    'text/event-stream',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=----x',
    'application/octet-stream',
    'application/json, text/plain',
    '*/*',
    'application/' + 'x'.repeat(4000),
  ]);
  note.push(`content-type ${JSON.stringify(ct?.slice(0, 40))}`);
  return ct;
}

/** Body-level damage (instead of field mutations). */
function damagedBody(r: Rng, valid: string, note: string[]): Buffer {
  const kind = int(r, 0, 13);
  note.push(`body#${kind}`);
  switch (kind) {
    case 0:
      return Buffer.from(valid.slice(0, int(r, 0, Math.max(0, valid.length - 1)))); // truncated
    case 1:
      return Buffer.from(pick(r, ['[]', '"str"', '123', 'null', 'true', '{}', '[{}]', '-0', '1e999']));
    case 2:
      return Buffer.from([0xff, 0xfe, 0xc0, 0x80, 0xed, 0xa0, 0x80, 0xf8, 0x88, 0x80, 0x80, 0x80]);
    case 3:
      return Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(valid)]); // BOM
    case 4:
      return Buffer.from(valid, 'utf16le');
    case 5:
      return Buffer.from(valid.replace(/^\{/, '{"cmd":5,"conversationId":{},"prompt":[],')); // duplicate keys
    case 6:
      return Buffer.from(deep(int(r, 1000, 1_000_000), '[', ']').text);
    case 7:
      return Buffer.from(deep(int(r, 1000, 300_000), '{"a":', '}').text);
    case 8:
      return Buffer.from(valid.replace(/"([^"]*)"/, '"$1\u0000\uffff"'));
    case 9:
      return Buffer.concat([
        Buffer.from(valid.slice(0, -1) + ',"x":"'),
        Buffer.from([0xc3, 0x28, 0xa0, 0xa1]),
        Buffer.from('"}'),
      ]);
    case 10:
      return Buffer.from(' \n\t' + valid + '\n\n\u0000');
    case 11:
      return Buffer.from(`${valid}${valid}`);
    case 12:
      // Just over the 6 MiB limit: 413.
      return Buffer.alloc(6 * 1024 * 1024 + int(r, 1, 1000), 0x20);
    default:
      return Buffer.alloc(int(r, 1, 64), 0);
  }
}

function mutateFields(r: Rng, body: BodyBase, spec: RouteSpec, note: string[]): BodyBase {
  const fields = [...new Set([...Object.keys(body), ...Object.keys(spec.fieldValues ?? {})])];
  const out: BodyBase = { ...body };
  for (let n = int(r, 1, 3); n > 0; n--) {
    if (fields.length === 0 || chance(r, 0.1)) {
      const k = pick(r, ['unknown', '__proto__', 'constructor', '', 'cmd ', 'CMD', 'x'.repeat(300)]);
      out[k] = weirdValue(r, note);
      note.push(`extra field ${JSON.stringify(k.slice(0, 20))}`);
      continue;
    }
    const f = pick(r, fields);
    const own = spec.fieldValues?.[f];
    if (own && chance(r, 0.5)) {
      out[f] = own(r);
      note.push(`${f}=own`);
    } else if (Array.isArray(out[f]) && chance(r, 0.3)) {
      const arr = [...(out[f] as unknown[])];
      arr[int(r, 0, arr.length)] = weirdValue(r, note);
      out[f] = arr;
      note.push(`${f}[i]=weird`);
    } else if (chance(r, 0.1)) {
      delete out[f];
      note.push(`-${f}`);
    } else {
      out[f] = weirdValue(r, note);
      note.push(`${f}=weird`);
    }
  }
  return out;
}

const ODD_METHODS = ['PATCH', 'OPTIONS', 'HEAD', 'PROPFIND', 'get', 'Post', 'FOO', 'M-SEARCH', 'PURGE'];

/** Request `index` of `seed` for `target`. */
export function fuzzRequest(seed: number, index: number, target: FuzzTarget): FuzzRequest {
  const r = prng((seed ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0);
  const note: string[] = [];
  const spec = pick(r, chance(r, 0.08) ? UNSERVED_ROUTES : ROUTES);
  let method = spec.method;
  if (chance(r, 0.05)) {
    method = pick(r, ODD_METHODS);
    note.push(`method ${method}`);
  }
  let path = spec.path;
  let real = false;
  if (path.includes('{id}')) {
    const chosen = idFor(r, spec, target, note);
    real = chosen.real;
    path = path.replace('{id}', chosen.id);
  }
  if (chance(r, 0.05)) {
    const odd = int(r, 0, 5);
    path = [`/${path}`, `${path}/`, path.toUpperCase(), `${path}/extra`, `${path};x=1`, `${path}//`][odd]!;
    note.push(`path variant ${odd}`);
  }
  const query = spec.query
    ? spec.query(r, note)
    : chance(r, 0.05)
      ? pick(r, ['a=b', '%zz', '&&', 'path=x'])
      : '';

  const headers: [string, string][] = [];
  const keyKind = chance(r, 0.9)
    ? 'A'
    : pick(r, ['none', 'B', 'bad', 'basic', 'empty', 'dup', 'long', 'latin1']);
  if (keyKind !== 'A') note.push(`key ${keyKind}`);
  const bearer = (k: string) => ['authorization', `Bearer ${k}`] as [string, string];
  switch (keyKind) {
    case 'A':
      headers.push(bearer(target.keys.A));
      break;
    case 'B':
      headers.push(bearer(target.keys.B));
      break;
    case 'bad':
      headers.push(bearer('nope'));
      break;
    case 'basic':
      headers.push(['authorization', 'Basic YTpi']);
      break;
    case 'empty':
      headers.push(['authorization', 'Bearer ']);
      break;
    case 'dup':
      headers.push(bearer('nope'), bearer(target.keys.A));
      break;
    case 'long':
      headers.push(bearer('k'.repeat(8000)));
      break;
    case 'latin1':
      headers.push(bearer('\u00ff\u00e9\u00a0'));
      break;
  }

  let body: Buffer | undefined;
  if (spec.body || spec.rawBody || chance(r, 0.05)) {
    if (spec.rawBody) {
      body = pick(r, [
        Buffer.alloc(0),
        Buffer.from('hello'),
        Buffer.from([0xff, 0x00, 0xfe, 0x80]),
        Buffer.alloc(int(r, 1, 3) * 1024 * 1024, 0xab),
        Buffer.alloc(6 * 1024 * 1024 + 1, 1),
      ]);
      note.push(`file body ${body.length}`);
    } else {
      const base = spec.body ? spec.body(r, target) : {};
      const valid = toJson(base);
      const invalidNeeded = spec.mustBeInvalidOnReal === true && real;
      if (chance(r, 0.25)) body = damagedBody(r, valid, note);
      else if (chance(r, 0.15) && !invalidNeeded) {
        body = Buffer.from(valid);
        note.push('valid body');
      } else {
        let mutated = mutateFields(r, base, spec, note);
        // On the real workspace an agent run must be refused (a valid one would start the agent).
        if (invalidNeeded) mutated = { ...mutated, unknownField: 1 };
        body = Buffer.from(toJson(mutated));
      }
    }
    const ct = spec.rawBody && chance(r, 0.7) ? 'application/octet-stream' : contentType(r, note);
    if (ct !== undefined) headers.push(['content-type', ct]);
  }
  if (chance(r, 0.15)) {
    const h = pick(r, [
      ['accept', 'text/event-stream'],
      ['accept', 'application/octet-stream'],
      ['accept', '*/*;q=0.1, text/event-stream;q=0.9'],
      ['content-type', 'text/plain'],
      ['x-forwarded-for', '\u00ff, 999.1.1.1'],
      ['content-encoding', 'gzip'],
      ['accept-charset', 'utf-16'],
      ['last-event-id', '-1'],
      ['x-amzn-trace-id', 'Root=garbage'],
      ['host', 'evil.example'],
      ['host', ''],
      ['expect', '100-continue'],
      ['x-long', 'v'.repeat(int(r, 1000, 12_000))],
      ['x-huge', 'v'.repeat(int(r, 17_000, 40_000))], // over Node's 16 KiB of headers
      ['transfer-encoding', 'chunked'], // next to the runner's Content-Length: a smuggling attempt
      ['content-length', '0'], // a second, conflicting length when there is a body
      ['content-type', 'application/json'],
      ['upgrade', 'websocket'], // with `connection: upgrade` below: a WebSocket handshake
    ] as [string, string][]);
    headers.push(h);
    if (h[0] === 'upgrade')
      headers.push(
        ['connection', 'Upgrade'],
        ['sec-websocket-key', 'dGhlIHNhbXBsZSBub25jZQ=='],
        ['sec-websocket-version', '13'],
      );
    note.push(`header ${h[0]}: ${h[1].slice(0, 30)}`);
  }
  return {
    name: `${seed}/${index}`,
    note,
    method,
    path,
    query,
    headers,
    ...(body !== undefined && { body }),
    ...(chance(r, 0.03) && (note.push('no host'), true) && { omitHost: true }),
    workspaceOutput: spec.workspaceOutput === true,
  };
}

/** What no answer of the API may contain: a stack frame, a source location, a host path. */
export const LEAK = /\n\s+at |\bat [\w.<>]+ \(|node_modules|file:\/\/|\/work\/|\/home\/|\.[cm]?[jt]s:\d+/;

/** Problems with one answer: 5xx, not API.md's error shape, a leak. */
export function answerProblems(
  req: FuzzRequest,
  status: number,
  contentType: string,
  body: string,
): string[] {
  const problems: string[] = [];
  if (status >= 500) problems.push(`status ${status}`);
  const isJson = contentType.startsWith('application/json');
  let parsed: unknown;
  if (isJson && body) {
    try {
      parsed = JSON.parse(body);
    } catch {
      problems.push('JSON answer does not parse');
    }
  }
  if (status >= 400) {
    const e = (parsed as { error?: Record<string, unknown> } | undefined)?.error;
    if (!isJson) problems.push(`error answer is ${contentType || 'untyped'}, not JSON`);
    else if (
      !e ||
      typeof e.code !== 'string' ||
      !/^[a-z_]+$/.test(e.code) ||
      typeof e.message !== 'string' ||
      !e.message ||
      typeof e.requestId !== 'string' ||
      !e.requestId ||
      Object.keys(parsed as object).length !== 1
    ) {
      problems.push('error body not in API.md shape');
    }
  }
  if ((status >= 400 || !req.workspaceOutput) && LEAK.test(body))
    problems.push('stack trace or path in the answer');
  return problems;
}

export function describeRequest(req: FuzzRequest): string {
  const q = req.query ? `?${req.query}` : '';
  const target = `${req.path}${q}`;
  return `[${req.name}] ${req.method} ${target.length > 160 ? `${target.slice(0, 160)}…(${target.length})` : target} body=${req.body?.length ?? 0}B {${req.note.join(', ')}}`;
}
