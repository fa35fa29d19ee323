import { silentLog } from '../../test/support/logs.js';
import { describe, expect, it } from '@jest/globals';
import type { GitHub, IssueComment } from '../../src/github/github.js';
import { LiveReceipt } from '../../src/publish/live-receipt.js';

/** A GitHub that records comment writes, and a clock the test moves. */
function fakes() {
  const writes: { op: string; body: string; at: number }[] = [];
  let now = 0;
  const comment = (id: number, body: string): IssueComment => ({ id, body, author: 'github-actions[bot]', url: `https://x/${id}` });
  const github = {
    createIssueComment: async (_n: number, body: string) => (writes.push({ op: 'create', body, at: now }), comment(7, body)),
    updateIssueComment: async (id: number, body: string) => (writes.push({ op: 'update', body, at: now }), comment(id, body)),
  } as unknown as GitHub;
  const clock = { now: () => now, sleep: async () => {} };
  const log = silentLog;
  return { writes, github, clock, log, advance: (ms: number) => (now += ms) };
}

const progress = (requests: number) => ({ className: 'fix', budget: 50_000, loopTokens: requests * 1000, costUsd: requests / 100, requests, step: `step ${requests}` });
const tick = () => new Promise((r) => setTimeout(r, 5));

describe('LiveReceipt', () => {
  it('writes at most once per interval however often progress arrives, and the latest progress wins', async () => {
    const f = fakes();
    const live = new LiveReceipt(f.github, 1, undefined, f.clock, f.log, (s) => s, 50);
    await live.start(progress(0));
    // 300 progress events over ~10 intervals of simulated time.
    for (let i = 1; i <= 300; i++) {
      live.update(progress(i));
      if (i % 30 === 0) {
        f.advance(50);
        await new Promise((r) => setTimeout(r, 60));
      }
    }
    await live.finish('final');
    const updates = f.writes.filter((w) => w.op === 'update' && w.body !== 'final');
    expect(f.writes[0].op).toBe('create');
    expect(updates.length).toBeLessThanOrEqual(11);
    expect(updates.length).toBeGreaterThanOrEqual(5);
    expect(f.writes[f.writes.length - 1]).toMatchObject({ op: 'update', body: 'final' });
    // Updates never come closer together than the interval.
    const times = f.writes.map((w) => w.at);
    for (let i = 2; i < times.length - 1; i++) expect(times[i] - times[i - 1]).toBeGreaterThanOrEqual(50);
  });

  it('edits an existing receipt instead of creating a second one', async () => {
    const f = fakes();
    const live = new LiveReceipt(f.github, 1, 99, f.clock, f.log, (s) => s, 50);
    await live.start(progress(0));
    await live.finish('final');
    expect(f.writes.map((w) => w.op)).toEqual(['update', 'update']);
  });

  it('drops a pending update when the run finishes first', async () => {
    const f = fakes();
    const live = new LiveReceipt(f.github, 1, undefined, f.clock, f.log, (s) => s, 10_000);
    await live.start(progress(0));
    live.update(progress(5));
    await tick();
    await live.finish('final');
    expect(f.writes.map((w) => w.body.includes('step 5'))).toEqual([false, false]);
  });
});
