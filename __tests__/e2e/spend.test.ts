import { afterEach, describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { bash, create, text, thinking } from '../../test/sim/anthropic.mjs';
import { issuesLabeled, workflowDispatch } from '../../test/sim/payloads.mjs';
import { API_KEY, createWorld, TOKEN } from '../../test/sim/world.mjs';
import { SMOKE } from './world-fixture.js';
import { RUN_RECORD_SCHEMA } from '../../src/records/run-record.js';

const SAMPLE = path.resolve('demo/sample-repo');
// ajv ships CommonJS; load it the way Node does.
const Ajv = createRequire(import.meta.url)('ajv') as new (opts: object) => { validate: (schema: object, data: unknown) => boolean; errorsText: () => string };
type World = Awaited<ReturnType<typeof createWorld>>;
let worlds: World[] = [];
afterEach(async () => {
  await Promise.all(worlds.map((w) => w.close()));
  worlds = [];
});

// Keyed on the conversation, not the request count: runs sharing the simulator may interleave.
const quickFix = ((req: { body: { messages: unknown[] } }) =>
  req.body.messages.length === 1 ? { content: [create(`notes/run-${Date.now()}-${Math.random()}.md`, 'work\n')] } : { content: [text('Done.')] }) as never;

async function world(opts: Parameters<typeof createWorld>[0] = {}) {
  const w = await createWorld({
    fixtureDir: SAMPLE,
    github: { issues: [1, 2, 3].map((n) => ({ number: n, title: `Issue ${n}`, body: 'Do it.', labels: ['agent:fix'], user: 'acme' })) },
    anthropic: { script: quickFix },
    ...opts,
  });
  worlds.push(w);
  return w;
}
const labeled = (number: number) => issuesLabeled({ owner: 'acme', repo: 'slugkit', number, label: 'agent:fix', sender: 'acme' });
const receipts = (w: World, issue: number) => w.github.state.comments.filter((c) => c.issueNumber === issue && c.body.includes('<!-- taskcap:receipt -->'));

describe('the receipt across runs', () => {
  it('keeps one receipt per issue whose history block adds up three runs', async () => {
    const w = await world();
    const costs: number[] = [];
    for (let run = 1; run <= 3; run++) {
      const r = await w.run({ eventName: 'issues', payload: labeled(1), env: { GITHUB_RUN_ID: String(1000 + run) } });
      costs.push(Number(r.outputs['cost-usd']));
    }
    const mine = receipts(w, 1);
    expect(mine).toHaveLength(1);
    const block = /<!-- taskcap:history (.*) -->\s*$/.exec(mine[0].body)![1];
    const rows = JSON.parse(block.replace(/\\u002d/g, '-')).rows as { runId: string; costUsd: number }[];
    expect(rows.map((r) => r.runId)).toEqual(['1001', '1002', '1003']);
    const total = costs.reduce((a, b) => a + b, 0);
    expect(Math.abs(rows.reduce((a, r) => a + r.costUsd, 0) - total)).toBeLessThan(1e-4);
    expect(mine[0].body).toMatch(/Total \(3 runs\)/);
    expect(w.github.violations).toEqual([]);
  }, 120_000);

  it('shows "working" when work starts and edits the same comment at the end, throttled in between', async () => {
    // ~40 quick requests over a few seconds: the live receipt must not write on every turn.
    const w = await world({
      anthropic: { script: ((_r: unknown, i: number) => (i < 40 ? { content: [thinking('x'.repeat(200)), bash(`echo ${i}`)] } : { content: [text('Done.')] })) as never, delayMs: 2 },
    });
    const r = await w.run({ eventName: 'issues', payload: labeled(2) });
    expect(r.outputs.status).toBe('no-changes');
    const writes = w.github.calls.filter((c) => c.operationId === 'issues/create-comment' || c.operationId === 'issues/update-comment');
    const first = w.github.calls.find((c) => c.operationId === 'issues/create-comment');
    expect(first?.body.body).toMatch(/Working/i);
    expect(first?.body.body).toContain('<!-- taskcap:receipt -->');
    // One create at the start, then at most one edit per 15 s of run time, then the final edit.
    const seconds = r.durationMs / 1000;
    expect(writes.length).toBeLessThanOrEqual(2 + Math.ceil(seconds / 15));
    expect(receipts(w, 2)).toHaveLength(1);
    expect(receipts(w, 2)[0].body).not.toMatch(/Working/i);
  }, 120_000);
});

describe('the run record', () => {
  it('is a JSON file in RUNNER_TEMP that matches its schema and holds no secret', async () => {
    const w = await world();
    const r = await w.run({ eventName: 'issues', payload: labeled(3), inputs: { 'upload-record': 'true' } });
    const file = r.outputs['run-record'];
    expect(file.startsWith(r.runnerTemp)).toBe(true);
    const json = fs.readFileSync(file, 'utf8');
    const record = JSON.parse(json);
    const ajv = new Ajv({ strict: false });
    expect(ajv.validate(RUN_RECORD_SCHEMA, record)).toBe(true);
    expect(record.requests).toHaveLength(2);
    for (const secret of [API_KEY, TOKEN]) expect(json).not.toContain(secret);
    // Without the runner's artifact service the upload only warns.
    expect(r.outputs.status).toBe('completed');
    expect(r.stdout).toMatch(/::warning::The run record could not be uploaded as an artifact/);
  }, 120_000);
});

describe('the ledger', () => {
  it('loses no line when two runs append at the same time', async () => {
    const w = await world();
    const [a, b] = await Promise.all([
      w.run({ eventName: 'issues', payload: labeled(1), inputs: { ledger: 'true' }, env: { GITHUB_RUN_ID: '501' } }),
      w.run({ eventName: 'issues', payload: labeled(2), inputs: { ledger: 'true' }, env: { GITHUB_RUN_ID: '502' } }),
    ]);
    expect([a.outputs.status, b.outputs.status]).toEqual(['completed', 'completed']);
    const ledger = (await w.originGit(['show', 'refs/heads/taskcap/ledger:ledger.jsonl'])).stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(ledger.map((e) => e.runId).sort()).toEqual(['501', '502']);
    expect(ledger.map((e) => e.issue).sort()).toEqual([1, 2]);
    for (const e of ledger) expect(e).toMatchObject({ repo: 'acme/slugkit', class: 'fix', budget: 50_000, outcome: 'completed' });
  }, 120_000);

  it('report mode summarizes the ledger per class with a recommended budget, in the summary and on report-issue', async () => {
    const now = Date.now();
    const lines = Array.from({ length: 12 }, (_, i) =>
      JSON.stringify({
        v: 1,
        at: new Date(now - i * 86_400_000).toISOString(),
        repo: 'acme/slugkit',
        class: i % 3 === 0 ? 'feature' : 'fix',
        budget: i % 3 === 0 ? 80_000 : 50_000,
        model: 'claude-opus-4-7',
        outcome: i === 4 ? 'budget-exhausted' : 'completed',
        limit: i === 4 ? 'budget' : null,
        loopTokens: 10_000 + i * 3_000,
        billed: { input: 10, cacheWrite: 5000, cacheRead: 20000, output: 3000, thinking: 500 },
        costUsd: 0.1 + i / 100,
        turns: 5,
        issue: i + 1,
        runId: String(7000 + i),
      }),
    );
    const w = await world({ extraRefs: [{ ref: 'refs/heads/taskcap/ledger', files: { 'ledger.jsonl': `${lines.join('\n')}\n` }, message: 'ledger' }] });
    const r = await w.run({ tier: SMOKE, eventName: 'workflow_dispatch', payload: workflowDispatch({ owner: 'acme', repo: 'slugkit', inputs: {}, sender: 'acme' }), inputs: { mode: 'report', 'report-issue': '3' } });
    expect(r.exitCode).toBe(0);
    expect(r.summary).toContain('taskcap spend by class');
    expect(r.summary).toMatch(/\| fix \| 8 \|/);
    expect(r.summary).toMatch(/recommended budget/i);
    expect(w.anthropic!.requests).toHaveLength(0);
    const comment = w.github.state.comments.find((c) => c.issueNumber === 3 && c.body.includes('<!-- taskcap:report -->'));
    expect(comment?.body).toContain('taskcap spend by class');
  }, 120_000);

  it('refuses a run once the month has reached max-monthly-cost-usd, with a comment and no model call', async () => {
    const line = JSON.stringify({
      v: 1,
      at: new Date().toISOString(),
      repo: 'acme/slugkit',
      class: 'fix',
      budget: 50_000,
      model: 'claude-opus-4-7',
      outcome: 'completed',
      limit: null,
      loopTokens: 40_000,
      billed: { input: 10, cacheWrite: 5000, cacheRead: 20000, output: 3000, thinking: 0 },
      costUsd: 12.5,
      turns: 9,
      issue: 9,
      runId: '42',
    });
    const w = await world({ extraRefs: [{ ref: 'refs/heads/taskcap/ledger', files: { 'ledger.jsonl': `${line}\n` }, message: 'ledger' }] });
    const r = await w.run({ eventName: 'issues', payload: labeled(1), inputs: { ledger: 'true', 'max-monthly-cost-usd': '10' } });
    expect(r.outputs.status).toBe('refused');
    expect(w.anthropic!.requests).toHaveLength(0);
    const notice = w.github.state.comments.find((c) => c.issueNumber === 1 && c.body.includes('taskcap:notice'));
    expect(notice?.body).toMatch(/\$12\.5000, which has reached the monthly cap of \$10\.0000/);
    expect(notice?.body).toContain('mode: report');
  }, 120_000);
});
