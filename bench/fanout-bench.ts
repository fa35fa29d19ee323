/**
 * Fan-out figures for `npm run bench` (section 7): plan time on a 100,000-file repository, the state file for
 * 10,000 units, collect time for 32 shards, and a simulated 200-unit migration with 8 parallel shards against one
 * sequential run (model latency simulated), with what both spent. Every step is the bundle run as the runner runs it.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { addPlan, addShardRun, emptyState, syncWorkList } from '../src/fanout/fanout-state.js';
import { bash, text } from '../test/sim/anthropic.mjs';
import { workflowDispatch } from '../test/sim/payloads.mjs';
import { createWorld } from '../test/sim/world.mjs';

type World = Awaited<ReturnType<typeof createWorld>>;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const log = (m: string) => process.stderr.write(`[bench] ${m}\n`);

const config = (o: { files: string; size: number; maxShards: number; budget: string; pool: string }) =>
  `tasks:\n  esm:\n    class: migration\n    prompt: "Convert these files from CommonJS to ESM."\n    units: { files: "${o.files}", containing: "require(" }\n    shard: { size: ${o.size}, max-shards: ${o.maxShards}, budget: ${o.budget} }\n    pool: { tokens: ${o.pool} }\n`;

function dispatch(w: World, runId: string, inputs: Record<string, string>) {
  const payload = workflowDispatch({ owner: 'acme', repo: 'slugkit', inputs: { task: 'esm' }, sender: 'acme' });
  return w.run({ eventName: 'workflow_dispatch', payload, runId, inputs, tier: 'bundle' });
}

/** `count` files, one in ten a CommonJS module (10,000 units at 100,000 files). */
function bigRepo(count: number): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'taskcap-fanout-big-'));
  for (let i = 0; i < count; i++) {
    const folder = path.join(dir, 'pkg', `m${Math.floor(i / 1000)}`);
    if (i % 1000 === 0) fs.mkdirSync(folder, { recursive: true });
    fs.writeFileSync(path.join(folder, `f${i % 1000}.js`), i % 10 === 0 ? `const d = require('./dep');\nmodule.exports = d(${i});\n` : `export const v${i} = ${i};\n`);
  }
  return dir;
}

/** 7a/7b. Plan time on the big repository (process start to exit, median), and the state it writes. */
async function planOnBigRepo(files: number, runs: number) {
  const dir = bigRepo(files);
  fs.mkdirSync(path.join(dir, '.github'));
  fs.writeFileSync(path.join(dir, '.github/taskcap.yml'), config({ files: 'pkg/**/*.js', size: 10, maxShards: 32, budget: '60k', pool: '1920k' }));
  const w = await createWorld({ fixtureDir: dir, anthropic: false });
  try {
    const times: number[] = [];
    let stateBytes = 0;
    let units = 0;
    for (let i = 0; i < runs; i++) {
      const r = await dispatch(w, String(7000 + i), { mode: 'plan', task: 'esm' });
      if (r.exitCode !== 0) throw new Error(`plan failed: ${r.stdout}`);
      times.push(r.durationMs);
      const state = (await w.originGit(['show', 'refs/heads/taskcap/ledger:fanout/esm.json'])).stdout;
      stateBytes = Buffer.byteLength(state);
      units = Object.keys(JSON.parse(state).units).length;
      fs.rmSync(r.workspace, { recursive: true, force: true });
    }
    // Reading and writing the state as every step does (parse, change, serialize), on its own.
    const text = (await w.originGit(['show', 'refs/heads/taskcap/ledger:fanout/esm.json'])).stdout;
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < 20; i++) JSON.stringify(JSON.parse(text));
    const roundTripMs = Number(process.hrtime.bigint() - t0) / 1e6 / 20;
    return { files, units, planMs: median(times), samplesMs: times, stateBytes, stateRoundTripMs: Math.round(roundTripMs * 100) / 100 };
  } finally {
    await w.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** 7c. Collect time for 32 shards whose branches are ready (each changed its own file), measured over the bundle. */
async function collect32() {
  const shards = 32;
  const files: Record<string, string> = { 'package.json': '{"name":"x"}\n' };
  for (let i = 1; i <= shards; i++) files[`src/m${i}.js`] = `const d = require('./d');\n`;
  files['.github/taskcap.yml'] = config({ files: 'src/**/*.js', size: 1, maxShards: 32, budget: '20k', pool: '640k' });
  const extraRefs = [
    { ref: 'refs/heads/taskcap/task-esm', from: 'refs/heads/main' },
    ...Array.from({ length: shards }, (_, i) => ({ ref: `refs/heads/taskcap/shards/esm/1-${i + 1}`, from: 'refs/heads/main', files: { [`src/m${i + 1}.js`]: `const d = await import('./d');\n` }, message: `taskcap: shard ${i + 1}` })),
  ];
  const w = await createWorld({ files, extraRefs, anthropic: false });
  try {
    const state = emptyState('esm', 'migration');
    const units = Array.from({ length: shards }, (_, i) => `src/m${i + 1}.js`);
    const at = new Date().toISOString();
    syncWorkList(state, units, at);
    const plan = addPlan(state, units.map((u) => ({ units: [u], budget: 20_000 })), { run: '8000', at, pool: { tokens: 640_000 } });
    for (let i = 1; i <= shards; i++) {
      const commit = (await w.branchSha(`taskcap/shards/esm/1-${i}`))!;
      addShardRun(state, plan.id, i, {
        run: '8000',
        url: 'https://github.com/acme/slugkit/actions/runs/8000',
        at,
        status: 'completed',
        loopTokens: 5_000 + i,
        billed: { input: 10, cacheWrite: 2_000, cacheRead: 8_000, output: 900 + i },
        costUsd: 0.04 + i / 1e4,
        turns: 3,
        commit,
        unitsDone: [units[i - 1]],
      });
    }
    writeLedgerFile(w.originDir, 'fanout/esm.json', `${JSON.stringify(state)}\n`);
    const r = await dispatch(w, '8000', { mode: 'collect', task: 'esm' });
    if (r.exitCode !== 0 || !r.outputs['pr-number']) throw new Error(`collect failed: ${r.stdout}`);
    const merges = (await w.originGit(['log', '--merges', '--format=%s', 'refs/heads/taskcap/task-esm'])).stdout.trim().split('\n').length;
    return { shards, merges, collectMs: r.durationMs };
  } finally {
    await w.close();
  }
}

/** A commit on taskcap/ledger holding one file, made with plumbing in the bare origin. */
function writeLedgerFile(gitDir: string, file: string, content: string) {
  const git = (args: string[], input?: string) => execFileSync('git', args, { cwd: gitDir, input, encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_NAME: 'b', GIT_AUTHOR_EMAIL: 'b@x', GIT_COMMITTER_NAME: 'b', GIT_COMMITTER_EMAIL: 'b@x' } }).trim();
  const blob = git(['hash-object', '-w', '--stdin'], content);
  const dirTree = git(['mktree'], `100644 blob ${blob}\t${path.basename(file)}\n`);
  const tree = git(['mktree'], `040000 tree ${dirTree}\t${path.dirname(file)}\n`);
  const commit = git(['commit-tree', tree, '-m', 'state']);
  git(['update-ref', 'refs/heads/taskcap/ledger', commit]);
}

/** A model that converts five units per request, each request taking `latencyMs`. */
function latencyModel(latencyMs: number) {
  return (req: { body: { messages: { content: unknown }[] } }) => {
    const first = JSON.stringify(req.body.messages[0].content);
    const units = /the units of shard \d+, from the work list\\">\\n([\s\S]*?)\\n<\/untrusted-data>/.exec(first)?.[1].split('\\n') ?? [];
    const turn = Math.floor(req.body.messages.length / 2);
    const batch = units.slice(turn * 5, turn * 5 + 5);
    const delayMs = latencyMs / 8; // the simulator waits this long between the ~8 events of a reply
    if (batch.length === 0) return { content: [text(`Converted.\n\nUnits done:\n${units.map((u) => `- ${u}`).join('\n')}`)], delayMs };
    return { content: [bash(batch.map((u) => `sed -i 's/require(/await import(/' ${u}`).join(' && '))], delayMs };
  };
}

/** 7d. 200 units: 8 shards in parallel (plan → shards → collect) against one shard doing everything. */
async function parallelVsSequential(units: number, latencyMs: number) {
  const files: Record<string, string> = { 'package.json': '{"name":"x"}\n' };
  for (let i = 1; i <= units; i++) files[`src/m${String(i).padStart(3, '0')}.js`] = `const d = require('./d');\nmodule.exports = d(${i});\n`;
  const one = async (label: string, o: { size: number; maxShards: number; budget: string; pool: string }) => {
    const w = await createWorld({ files: { ...files, '.github/taskcap.yml': config({ files: 'src/**/*.js', ...o }) }, anthropic: { script: latencyModel(latencyMs) as never } });
    try {
      const t0 = Date.now();
      const plan = await dispatch(w, '9000', { mode: 'plan', task: 'esm' });
      const ids = (JSON.parse(plan.outputs.matrix) as { shard: string[] }).shard;
      const shards = await Promise.all(ids.map((id) => dispatch(w, '9000', { mode: 'shard', shard: id })));
      const collect = await dispatch(w, '9000', { mode: 'collect', task: 'esm' });
      const wallMs = Date.now() - t0;
      const state = JSON.parse((await w.originGit(['show', 'refs/heads/taskcap/ledger:fanout/esm.json'])).stdout);
      const done = Object.values(state.units as Record<string, { status: string }>).filter((u) => u.status === 'done').length;
      log(`${label}: ${ids.length} shards, ${done} done in ${wallMs} ms`);
      return {
        label,
        shards: ids.length,
        done,
        wallMs,
        requests: w.anthropic!.requests.length,
        loopTokens: shards.reduce((a, r) => a + Number(r.outputs['loop-tokens'] || 0), 0),
        costUsd: Math.round(Number(collect.outputs['cost-usd']) * 1e6) / 1e6,
      };
    } finally {
      await w.close();
    }
  };
  const parallel = await one('8 parallel shards', { size: Math.ceil(units / 8), maxShards: 8, budget: '150k', pool: '1200k' });
  const sequential = await one('one sequential run', { size: units, maxShards: 1, budget: '1200k', pool: '1200k' });
  return { units, latencyMs, parallel, sequential, speedup: Math.round((sequential.wallMs / parallel.wallMs) * 100) / 100 };
}

export async function fanoutBench(quick: boolean) {
  log('fan-out: plan on the big repository …');
  const plan = await planOnBigRepo(quick ? 10_000 : 100_000, quick ? 1 : 3);
  log('fan-out: collect of 32 shards …');
  const collect = await collect32();
  log('fan-out: 200-unit migration, parallel vs sequential …');
  const migration = await parallelVsSequential(quick ? 80 : 200, 1000);
  return { plan, collect, migration };
}

export function renderFanout(r: Awaited<ReturnType<typeof fanoutBench>>): string[] {
  const m = r.migration;
  const row = (x: typeof m.parallel) => `| ${x.label} | ${x.shards} | ${x.done} / ${m.units} | ${(x.wallMs / 1000).toFixed(1)} s | ${x.requests} | ${x.loopTokens.toLocaleString('en-US')} | $${x.costUsd.toFixed(4)} |`;
  return [
    '## 7. Fan-out',
    '',
    'Each step is the bundle run as the runner runs it (a fresh checkout per job; times are the action\'s process only).',
    '',
    `- Plan on a ${r.plan.files.toLocaleString('en-US')}-file repository (\`units: { files: "pkg/**/*.js", containing: "require(" }\`, ${r.plan.units.toLocaleString('en-US')} units, 32 shards): **${(r.plan.planMs / 1000).toFixed(2)} s** (median of ${r.plan.samplesMs.length}: ${r.plan.samplesMs.map((x) => (x / 1000).toFixed(2)).join(', ')} s).`,
    `- The state file for ${r.plan.units.toLocaleString('en-US')} units: **${(r.plan.stateBytes / 1024).toFixed(0)} KB** of JSON; parsing and writing it back takes ${r.plan.stateRoundTripMs} ms.`,
    `- Collect of ${r.collect.shards} shards (${r.collect.merges} merges, the push, the PR, the combined receipt, the state and ledger, the branch deletions): **${(r.collect.collectMs / 1000).toFixed(2)} s**.`,
    '',
    `A ${m.units}-unit migration, each model request taking ${m.latencyMs} ms (five units converted per request), plan → shards → collect:`,
    '',
    '| | shards | units done | wall time | requests | loop tokens | cost |',
    '|---|---:|---:|---:|---:|---:|---:|',
    row(m.parallel),
    row(m.sequential),
    '',
    `Parallel is **${m.speedup}×** faster here, on ${os.cpus().length} cores shared by ${m.parallel.shards} shard processes and the simulators, and costs ${((m.parallel.costUsd / m.sequential.costUsd) * 100).toFixed(0)}% of the sequential run: each shard pays for its own system prompt, tools and first cache write, while one long run re-reads a context that grows with every unit it converts.`,
    '',
  ];
}
