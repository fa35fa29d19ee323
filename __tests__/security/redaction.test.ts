// Redaction after normalisation (issue 11, 4): without a sandbox the agent can read the runner's environment, and
// only redaction protects what leaves. Grouped and word-swapped hex (xxd, od, hexdump), hex and base64 of the
// reversed secret, base32, upper case, separators and one character per line are all caught — in what the model
// is sent (real tools, run on the host), and in the patch. Ordinary text is left alone; the documented gaps are
// pinned so the README stays true.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import zlib from 'node:zlib';
import { BashTool } from '../../src/tools/bash.js';
import { Editor } from '../../src/tools/editor.js';
import { createHostShell } from '../../src/tools/shell.js';
import { Toolbox } from '../../src/tools/toolbox.js';
import { agentEnvironment } from '../../src/tools/workbench.js';
import { Redactor } from '../../src/util/redact.js';
import { CANARY, editorFor, makeRunnerLayout, type RunnerLayout } from './harness.js';
import { startOrigin, showFile, type Origin } from './publish-harness.js';

const header = `AUTHORIZATION: basic ${Buffer.from(`x-access-token:${CANARY.token}`).toString('base64')}`;
const SECRETS = { apiKey: CANARY.apiKey, token: CANARY.token, workflowSecret: CANARY.workflowSecret, header };
const redactorFor = () => new Redactor().add(CANARY.apiKey).add(CANARY.token).add(header).add(header.replace(/^AUTHORIZATION:\s*basic\s+/i, '')).addEnvironment({ WORKFLOW_SECRET: CANARY.workflowSecret });
const redactor = redactorFor();

const rev = (s: string) => [...s].reverse().join('');
const hex = (s: string) => Buffer.from(s).toString('hex');
const b64 = (s: string) => Buffer.from(s).toString('base64');
const sh = (script: string, input: string) => execFileSync('bash', ['-c', script], { input, encoding: 'utf8', env: { PATH: '/usr/bin:/bin' } });

/**
 * Whether `text` still gives a 12-character piece of `secret` back to someone who strips separators, folds case,
 * and decodes hex at either alignment, forwards or reversed: an independent check of what redaction left.
 */
function stillReveals(text: string, secret: string): boolean {
  const pieces = new Set<string>();
  const plain = secret.toLowerCase().replace(/[^a-z0-9]/g, '');
  for (const s of [plain, rev(plain)]) for (let i = 0; i + 12 <= s.length; i++) if (/[a-z]/.test(s.slice(i, i + 12)) && /\d/.test(s.slice(i, i + 12))) pieces.add(s.slice(i, i + 12));
  const views = [text.toLowerCase().replace(/[^a-z0-9]/g, '')];
  const digits = text.toLowerCase().replace(/0x|\\x/g, '').replace(/[^0-9a-f]/g, '');
  for (const d of [digits, rev(digits)]) for (const at of [0, 1]) views.push(Buffer.from(d.slice(at).slice(0, (d.length - at) & ~1), 'hex').toString('latin1').toLowerCase().replace(/[^a-z0-9]/g, ''));
  return views.some((v) => [...pieces].some((p) => v.includes(p)));
}

const xxdGroups = (s: string) => sh('xxd', s);

describe('every spelling of a secret an agent can print is masked', () => {
  const forms: [string, (s: string) => string][] = [
    ['xxd (grouped hex with offsets and an ASCII column)', (s) => xxdGroups(s)],
    ['xxd -u (upper-case groups)', (s) => sh('xxd -u', s)],
    ['xxd -c 4 (narrow: an offset between every four bytes)', (s) => sh('xxd -c 4', s)],
    ['xxd -c 2 -g 1', (s) => sh('xxd -c 2 -g 1', s)],
    ['xxd -p of the reversed secret', (s) => sh('rev | xxd -p', s)],
    ['xxd -p, then reversed', (s) => sh("xxd -p | tr -d '\\n' | rev", s)],
    ['xxd -i (a C array: 0x73, 0x6b, …)', (s) => sh('xxd -i', s)],
    ['od -x (16-bit little-endian words)', (s) => sh('od -x', s)],
    ['od -t x4 (32-bit words)', (s) => sh('od -t x4', s)],
    ['od -An -tx1 (one byte at a time)', (s) => sh('od -An -tx1', s)],
    ['hexdump -C', (s) => sh('hexdump -C', s)],
    ['hexdump (default words)', (s) => sh('hexdump', s)],
    ['hex of the secret with each byte on its own line', (s) => hex(s).replace(/(..)/g, '$1\n')],
    ['\\X escapes in upper case', (s) => hex(s).toUpperCase().replace(/(..)/g, '\\x$1')],
    ['base32', (s) => sh('base32', s)],
    ['base32 of the reversed secret', (s) => sh('rev | base32', s)],
    ['base32 after one byte of padding', (s) => sh('base32', `x${s}`)],
    ['base32, reversed', (s) => rev(sh('base32 -w0', s))],
    ['base64, reversed', (s) => rev(b64(s))],
    ['base64 wrapped every 8 characters', (s) => sh('base64 -w 8', s)],
    ['base64 in upper case', (s) => b64(s).toUpperCase()],
    ['base64 of the reversed secret', (s) => b64(rev(s))],
    ['upper case', (s) => s.toUpperCase()],
    ['reversed and upper case', (s) => rev(s).toUpperCase()],
    ['one character per line', (s) => [...s].join('\n')],
    ['spaces between characters', (s) => [...s].join(' ')],
    ['quoted characters in a list', (s) => JSON.stringify([...s])],
    ['commas and dashes between characters', (s) => [...s].join(',-')],
    ['cut in two, on two lines, in a sentence', (s) => `first half ${s.slice(0, 20)}\nsecond half ${s.slice(20)} end`],
    ['in a JSON string with escapes', (s) => JSON.stringify({ value: s.replace(/-/g, '\\u002d') })],
  ];

  for (const [name, secret] of Object.entries(SECRETS)) {
    it.each(forms)(`${name}: %s`, (_form, encode) => {
      const text = encode(secret);
      expect(redactor.leaks(text)).toBe(true);
      const out = redactor.redact(text);
      expect(stillReveals(out, secret)).toBe(false);
      expect(redactor.leaks(out)).toBe(false);
    });
  }
});

describe('ordinary text is left alone', () => {
  it.each([
    ['git log with commit ids', 'commit 9fceb02d0ae598e95dc970b74767f19372d61af8\nAuthor: x\n\n    fix: slug 0123456789abcdef0123456789abcdef01234567\n'],
    ['a hex dump of other data', sh('xxd', 'The quick brown fox jumps over the lazy dog 0123456789 again and again.')],
    ['base64 and base32 of other data', `${b64('some other secret-looking value 12345')}\n${sh('base32', 'some other value 98765')}`],
    ['package-lock integrity hashes', '"integrity": "sha512-7cJ9X5hAqKJg2uWlN7b3dE9f0aJ8o0i2Yc3sQwF1pLr5XuW+oKQ2F6qk9dQ4b0y1m9y0h3JwQ5d0Zk6f5aYbXw=="'],
    ['UUIDs and timestamps', '3f2504e0-4f89-11d3-9a0c-0305e82c3301 2026-08-22T10:00:00Z 1724320800000'],
    ['prose around the fixed words of a header', 'Authorization: basic auth is used. AUTHORIZATION: basic header docs. x-access-token is a user name. 000000000000'],
    ['a long run of zeros and hex letters', `0x${'0'.repeat(64)} deadbeefcafebabe${'f'.repeat(40)}`],
  ])('%s', (_name, text) => {
    expect(redactor.redact(text)).toBe(text);
    expect(redactor.leaks(text)).toBe(false);
  });

  it('masks a megabyte in well under a second', () => {
    const big = `${'lorem ipsum 0123 deadbeef '.repeat(40_000)}${xxdGroups(CANARY.token)}`;
    const started = Date.now();
    const out = redactor.redact(big);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(stillReveals(out.slice(-400), CANARY.token)).toBe(false);
  });
});

describe('documented gaps: what normalisation does not catch (the README says so; update it if one starts being caught)', () => {
  it.each([
    ['gzip, then base64', (s: string) => zlib.gzipSync(s).toString('base64')],
    ['octal bytes (od -b)', (s: string) => sh('od -An -b', s)],
    ['decimal bytes', (s: string) => [...Buffer.from(s)].join(' ')],
    ['base64 of its hex (two encodings stacked)', (s: string) => b64(hex(s))],
    ['interleaved with other letters', (s: string) => [...s].join('q')],
  ])('%s', (_name, encode) => {
    expect(redactor.leaks(encode(CANARY.apiKey))).toBe(false);
  });

  it('pieces shorter than a window, printed by separate commands, each pass on their own', () => {
    const pieces = CANARY.apiKey.match(/.{1,8}/g) ?? [];
    expect(pieces.filter((p) => redactor.leaks(p))).toEqual([]);
  });
});

describe('without a sandbox, through real tools, the model is sent none of it', () => {
  let layout: RunnerLayout;
  let toolbox: Toolbox;
  beforeAll(() => {
    layout = makeRunnerLayout();
    // As when the agent read the action's environment through /proc: the value is in its command's environment.
    const env = { ...agentEnvironment(layout.workspace, layout.agentHome), S: CANARY.workflowSecret, K: CANARY.apiKey };
    toolbox = new Toolbox(new BashTool(createHostShell(), layout.workspace, env, 20_000), editorFor(layout) as Editor, (t) => redactor.redact(t), () => 0);
  });
  afterAll(() => layout?.cleanup());

  it.each([
    'printf %s "$K" | xxd',
    'printf %s "$K" | xxd -u -c 4',
    'printf %s "$K" | rev | xxd -p',
    'printf %s "$K" | xxd -p | rev',
    'printf %s "$K" | od -x',
    'printf %s "$K" | od -t x4',
    'printf %s "$K" | hexdump -C',
    'printf %s "$K" | base32',
    'printf %s "$K" | rev | base32',
    'printf %s "$K" | base64 | rev',
    'printf %s "$K" | tr a-z A-Z',
    'printf %s "$K" | fold -w1',
    "printf %s \"$K\" | sed 's/./& /g'",
    "printf %s \"$S\" | sed 's/./&\\n/g' | tac",
    'printf %s "$K" | xxd -i',
    "printf %s \"$K\" | perl -ne 'print join(\" \", map { sprintf \"\\\\x%02X\", ord } split //)'",
    'for i in $(seq 0 7 70); do printf "%s\\n" "${K:$i:7}"; done',
  ])('%s', async (command) => {
    const r = await toolbox.run({ id: 't', name: 'bash', input: { command } }, 20_000, 60_000);
    expect(r.isError).toBe(false);
    for (const secret of [CANARY.apiKey, CANARY.workflowSecret]) expect(stillReveals(r.text, secret)).toBe(false);
  });
});

describe('a patch holding a secret in any of these spellings is not pushed', () => {
  let origin: Origin;
  beforeAll(async () => {
    origin = await startOrigin();
  }, 30_000);
  afterAll(() => origin?.close());

  it('each file holding one is left out, the fix ships', async () => {
    const ws = await origin.checkout();
    const files: Record<string, string> = {
      'notes/xxd.txt': xxdGroups(CANARY.apiKey),
      'notes/reversed-hex.txt': `const k = "${hex(rev(CANARY.token))}";\n`,
      'notes/base32.txt': sh('base32', CANARY.workflowSecret),
      'notes/upper.txt': CANARY.apiKey.toUpperCase(),
      'notes/per-line.txt': [...CANARY.token].join('\n'),
      'notes/odx.txt': sh('od -x', CANARY.apiKey),
      'src/app.js': 'export const answer = () => 42;\n',
    };
    ws.write(files);
    const published = await ws.publish('secrets', { leaks: (t) => redactor.leaks(t) });
    expect(published.patch.leaking.sort()).toEqual(Object.keys(files).filter((f) => f.startsWith('notes/')).sort());
    expect(await showFile(origin, 'refs/heads/taskcap/secrets', 'src/app.js')).toBe('export const answer = () => 42;\n');
    const log = await origin.git(['log', '-p', '--all']);
    for (const secret of Object.values(SECRETS)) expect(stillReveals(log, secret)).toBe(false);
  }, 30_000);

  it('a file named after a secret is left out too', async () => {
    const ws = await origin.checkout();
    ws.write({ [`notes/${CANARY.token}.md`]: 'x\n', 'src/app.js': 'export const answer = () => 43;\n' });
    const published = await ws.publish('secret-name', { leaks: (t) => redactor.leaks(t) });
    expect(published.patch.dropped.map((d) => d.reason)).toEqual(['its name holds a secret or a token']);
    expect(await origin.git(['ls-tree', '-r', '--name-only', 'refs/heads/taskcap/secret-name'])).not.toContain('notes/');
  }, 30_000);
});
