import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BashTool } from '../../src/tools/bash.js';
import { createHostShell } from '../../src/tools/shell.js';
import { agentEnvironment } from '../../src/tools/workbench.js';

let root: string;
let home: string;
const shell = createHostShell();
const tool = (timeoutMs = 10_000) => new BashTool(shell, root, agentEnvironment(root, home), timeoutMs);

beforeAll(() => {
  root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'bash-')));
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'bash-home-'));
  fs.mkdirSync(path.join(home, 'tmp'));
  fs.mkdirSync(path.join(root, 'sub'));
});
afterAll(() => {
  fs.rmSync(root, { recursive: true, force: true });
  fs.rmSync(home, { recursive: true, force: true });
});

describe('bash tool', () => {
  it('runs a command in the workspace and interleaves stdout and stderr', async () => {
    const r = await tool().run({ command: 'pwd; echo out; echo err >&2' }, 10_000, 60_000);
    expect(r.text).toBe(`${root}\nout\nerr`);
    expect(r.exitCode).toBe(0);
  });

  it('reports a non-zero exit code without calling it a tool error', async () => {
    const r = await tool().run({ command: 'echo failing; exit 3' }, 10_000, 60_000);
    expect(r.text).toBe('failing\n[exit code 3]');
    expect(r.isError).toBe(false);
  });

  it('keeps the working directory between commands, and restart resets it', async () => {
    const t = tool();
    await t.run({ command: 'cd sub' }, 10_000, 60_000);
    expect((await t.run({ command: 'pwd' }, 10_000, 60_000)).text).toBe(path.join(root, 'sub'));
    await t.run({ restart: true }, 10_000, 60_000);
    expect((await t.run({ command: 'pwd' }, 10_000, 60_000)).text).toBe(root);
  });

  it('does not carry a directory outside the workspace over to the next command', async () => {
    const t = tool();
    await t.run({ command: 'cd /tmp' }, 10_000, 60_000);
    expect((await t.run({ command: 'pwd' }, 10_000, 60_000)).text).toBe(root);
  });

  it('kills a command at its timeout, with everything it started', async () => {
    const marker = path.join(root, 'child-alive');
    const started = Date.now();
    const r = await tool(1500).run({ command: `(sleep 3; touch ${marker}) & sleep 1000` }, 10_000, 60_000);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(r.isError).toBe(true);
    expect(r.text).toMatch(/stopped after 2 s; the command and everything it started were killed/);
    await new Promise((res) => setTimeout(res, 2500));
    expect(fs.existsSync(marker)).toBe(false);
  });

  it('gives commands no stdin (a read does not hang)', async () => {
    const r = await tool(5000).run({ command: 'read x || echo "stdin is empty"' }, 10_000, 60_000);
    expect(r.text).toBe('stdin is empty');
  });

  it('caps a flood of output and says how much was omitted', async () => {
    const r = await tool(20_000).run({ command: 'yes | head -c 50000000; echo; echo LAST' }, 2000, 60_000);
    expect(Buffer.byteLength(r.text)).toBeLessThanOrEqual(2000);
    expect(r.outputBytes).toBeGreaterThan(50_000_000);
    expect(r.text).toMatch(/bytes omitted \(output was 50,000,006 bytes\)/);
    expect(r.text).toMatch(/LAST$/);
  });

  it('runs with an environment built from scratch: no tokens, inputs or runner variables', async () => {
    process.env.INPUT_CANARY = 'should-not-leak';
    process.env.GITHUB_TOKEN = 'ghs_should_not_leak';
    const r = await tool().run({ command: 'env' }, 10_000, 60_000);
    expect(r.text).not.toContain('should-not-leak');
    expect(r.text).not.toContain('ghs_should_not_leak');
    expect(r.text).toContain('TASKCAP=1');
    delete process.env.INPUT_CANARY;
    delete process.env.GITHUB_TOKEN;
  });

  it('rejects a missing command', async () => {
    await expect(tool().run({}, 10_000, 60_000)).rejects.toThrow(/`command` must be a non-empty string/);
  });
});
