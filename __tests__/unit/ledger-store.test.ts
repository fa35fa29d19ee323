import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { systemClock } from '../../src/ports.js';
import { authEnv, headerForToken } from '../../src/publish/credentials.js';
import { Git } from '../../src/publish/git.js';
import { appendLedgerLine, readLedger } from '../../src/publish/ledger-store.js';
import { makeCheckout } from '../../test/sim/checkout.mjs';
import { gitIn, makeBareRepo, startGitOrigin } from '../../test/sim/git-origin.mjs';

const TOKEN = 'ghs_ledgerTestToken0000000000000000001';
let root: string;
let origin: Awaited<ReturnType<typeof startGitOrigin>>;
let gitDir: string;

beforeAll(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'ledger-'));
  ({ gitDir } = await makeBareRepo({ root: path.join(root, 'origin'), owner: 'acme', repo: 'slugkit', files: { 'a.txt': 'a\n' } }));
  origin = await startGitOrigin({ token: TOKEN, root: path.join(root, 'origin') });
});
afterAll(async () => {
  await origin.close();
  fs.rmSync(root, { recursive: true, force: true });
});

async function checkout(name: string) {
  const { workspace } = await makeCheckout({ serverUrl: origin.url, owner: 'acme', repo: 'slugkit', token: TOKEN, workspace: path.join(root, name), runnerTemp: path.join(root, `${name}-tmp`), credentials: 'none' });
  return new Git(workspace);
}

describe('ledger store', () => {
  it('appends from six racing checkouts without losing a line, leaving each workspace untouched', async () => {
    const auth = authEnv(origin.url, headerForToken(TOKEN));
    const gits = await Promise.all([1, 2, 3, 4, 5, 6].map((i) => checkout(`ws-${i}`)));
    await Promise.all(gits.map((g, i) => appendLedgerLine(g, auth, JSON.stringify({ run: i + 1 }), systemClock, 12)));
    const lines = (await gitIn(gitDir, ['show', 'refs/heads/taskcap/ledger:ledger.jsonl'])).stdout.trim().split('\n');
    expect(lines.map((l) => JSON.parse(l).run).sort()).toEqual([1, 2, 3, 4, 5, 6]);
    expect(await readLedger(gits[0], auth)).toBe(`${lines.join('\n')}\n`);
    for (const g of gits) expect((await g.run(['status', '--porcelain'])).stdout).toBe('');
  }, 60_000);
});
