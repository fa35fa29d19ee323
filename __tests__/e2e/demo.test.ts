import { describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

describe('npm run demo', () => {
  it('prints the pull request, its diff and the receipt from the simulators', async () => {
    const env = { ...process.env };
    delete env.ANTHROPIC_API_KEY; // the simulated Claude, whatever the developer's shell has
    const { stdout } = await promisify(execFile)('node', ['demo/run-demo.mjs'], { env, maxBuffer: 16 * 1024 * 1024 });
    expect(stdout).toMatch(/Pull request #\d+: slugify leaves a dash/);
    expect(stdout).toContain('Fixes #1');
    expect(stdout).toContain("+    .replace(/^-+|-+$/g, '');");
    expect(stdout).toContain('<!-- taskcap:receipt -->');
    expect(stdout).toMatch(/status\s+completed/);
    expect(stdout).not.toContain('GitHub API violations');
  }, 120_000);
});
