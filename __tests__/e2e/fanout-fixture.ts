/** What the fan-out suites share: a repository of CommonJS files, a model that converts the units it is given, and the three steps. */
import { bash, text } from '../../test/sim/anthropic.mjs';
import { workflowDispatch } from '../../test/sim/payloads.mjs';
import type { World } from './world-fixture.js';

export const REPO = { owner: 'acme', repo: 'slugkit' } as const;

/** `count` modules that each `require(` something, plus a package.json whose test fails when BROKEN exists. */
export function cjsRepo(count: number): Record<string, string> {
  const files: Record<string, string> = {
    'package.json': '{ "name": "mods", "version": "1.0.0" }\n',
    'NOTES.md': '# Notes\n',
  };
  for (let i = 1; i <= count; i++) files[`src/m${String(i).padStart(2, '0')}.js`] = `const dep = require('./dep');\nmodule.exports = () => dep(${i});\n`;
  files['src/dep.js'] = 'module.exports = (x) => x;\n';
  return files;
}

export function fanoutConfig(o: { size?: number; maxShards?: number; budget?: string; pool?: string; maxCost?: number; maxAttempts?: number } = {}): string {
  return [
    'tasks:',
    '  esm:',
    '    class: migration',
    '    prompt: "Convert these files from CommonJS to ESM."',
    '    units: { files: "src/**/*.js", containing: "require(" }',
    `    shard: { size: ${o.size ?? 5}, max-shards: ${o.maxShards ?? 4}, budget: ${o.budget ?? '30k'}${o.maxAttempts ? `, max-attempts: ${o.maxAttempts}` : ''} }`,
    `    pool: { tokens: ${o.pool ?? '120k'}${o.maxCost !== undefined ? `, max-cost-usd: ${o.maxCost}` : ''} }`,
    '',
  ].join('\n');
}

type Req = { body: { messages: { role: string; content: unknown }[] } };

/** The text of the first user message (the task). */
export function firstMessage(req: Req): string {
  const c = req.body.messages[0]?.content;
  if (typeof c === 'string') return c;
  return (c as { type: string; text?: string }[]).map((b) => b.text ?? '').join('\n');
}

/** Which shard a request belongs to ("shard 2 of plan 1"), from its task text. */
export function shardOf(req: Req): { plan: number; n: number } | undefined {
  const m = /This is shard (\d+) of plan (\d+)/.exec(firstMessage(req));
  return m ? { n: Number(m[1]), plan: Number(m[2]) } : undefined;
}

/** The units a shard was given (the data block of its task). */
export function unitsOf(req: Req): string[] {
  const m = /<untrusted-data source="the units of shard \d+, from the work list">\n([\s\S]*?)\n<\/untrusted-data>/.exec(firstMessage(req));
  return m ? m[1].split('\n').filter(Boolean) : [];
}

/** What a shard's model does, chosen per shard by the test. */
export type Behaviour = 'convert' | 'cap' | 'error' | 'break-tests' | 'conflict-a' | 'conflict-b';

const convertCommand = (units: string[]) => units.map((u) => `sed -i 's/require(/await import(/' ${u}`).join(' && ');
const convert = (units: string[]) => bash(convertCommand(units));

/**
 * The model: converts its units in one command and reports them done; or converts half and then reads until its
 * budget runs out ('cap'); or converts half and then gets an API error ('error'); or converts them and breaks the
 * tests; or converts them and also edits NOTES.md in a way two shards cannot both merge ('conflict-*').
 */
export function migrationModel(behaviourOf: (shard: { plan: number; n: number }) => Behaviour) {
  return (req: Req) => {
    const shard = shardOf(req);
    if (!shard) return { content: [text('Nothing to do.')] };
    const units = unitsOf(req);
    const turn = req.body.messages.length;
    const behaviour = behaviourOf(shard);
    const done = `Converted the files.\n\nUnits done:\n${units.map((u) => `- ${u}`).join('\n')}`;
    switch (behaviour) {
      case 'convert':
        return turn === 1 ? { content: [convert(units)] } : { content: [text(done)] };
      case 'break-tests':
        return turn === 1 ? { content: [bash(`${convertCommand(units)} && touch BROKEN`)] } : { content: [text(done)] };
      case 'conflict-a':
      case 'conflict-b':
        return turn === 1 ? { content: [bash(`${convertCommand(units)} && echo "converted by ${behaviour}" >> NOTES.md`)] } : { content: [text(done)] };
      case 'cap':
        if (turn === 1) return { content: [convert(units.slice(0, Math.ceil(units.length / 2)))] };
        // Reading big output until the budget share is gone.
        return { content: [bash('for i in $(seq 1 4000); do echo "line $i of a long log that the agent keeps reading"; done')] };
      case 'error':
        if (turn === 1) return { content: [convert(units.slice(0, Math.ceil(units.length / 2)))] };
        return { error: { status: 400, type: 'invalid_request_error', message: 'simulated model error' } };
    }
  };
}

/** The three steps of the fan-out workflow, each a job with its own run id, checkout and matrix value. */
export function steps(w: World, o: { runId: string; tier?: 'bundle'; shardTier?: 'bundle'; testCommand?: string }) {
  const payload = workflowDispatch({ ...REPO, inputs: { task: 'esm' }, sender: 'acme' });
  const base = { eventName: 'workflow_dispatch', payload, runId: o.runId, ...(o.tier ? { tier: o.tier } : {}) };
  return {
    plan: (attempt = '1') => w.run({ ...base, runAttempt: attempt, inputs: { mode: 'plan', task: 'esm' } }),
    shard: (shard: string, attempt = '1') => w.run({ ...base, ...(o.shardTier ? { tier: o.shardTier } : {}), runAttempt: attempt, inputs: { mode: 'shard', shard, ...(o.testCommand ? { 'test-command': o.testCommand } : {}) } }),
    collect: (attempt = '1') => w.run({ ...base, runAttempt: attempt, inputs: { mode: 'collect', task: 'esm', ...(o.testCommand ? { 'test-command': o.testCommand } : {}) } }),
  };
}

/** The matrix a plan job set. */
export const matrixOf = (outputs: Record<string, string>): string[] => (JSON.parse(outputs.matrix) as { shard: string[] }).shard;

/** Everything a step could change: the origin's refs, GitHub's writes, model requests. */
export async function snapshot(w: World) {
  return {
    refs: (await w.originGit(['for-each-ref', '--format=%(refname) %(objectname)'])).stdout,
    writes: w.github.writes().length,
    requests: w.anthropic!.requests.length,
  };
}

export const stateOf = async (w: World) => JSON.parse((await w.originGit(['show', 'refs/heads/taskcap/ledger:fanout/esm.json'])).stdout);
export const ledgerOf = async (w: World) => (await w.originGit(['show', 'refs/heads/taskcap/ledger:ledger.jsonl'])).stdout.trim().split('\n').map((l) => JSON.parse(l));
