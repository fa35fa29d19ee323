// Issue 4, through the bundle: re-deliveries and re-runs never duplicate a PR or a receipt; a PR whose head moved is
// never pushed over; explore/research classes post a written result.
import { describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { bash, text } from '../../test/sim/anthropic.mjs';
import { issueCommentCreated, issuesLabeled, pullRequestLabeled, schedule } from '../../test/sim/payloads.mjs';
import { RECEIPT, REPO, SAMPLE, useWorld, type World } from './world-fixture.js';
type Req = { body: { messages: unknown[] } };

const PR_REFS = [
  { ref: 'refs/heads/feature/trim', files: { 'src/extra.js': 'export const extra = 1;\n' }, message: 'Add extra helper' },
  { ref: 'refs/pull/7/merge', merge: ['refs/heads/main', 'refs/heads/feature/trim'] as [string, string] },
];
const PR7 = { number: 7, title: 'Add an extra helper', head: 'feature/trim', user: 'acme' };
const ISSUE = { number: 4, title: 'Trailing dashes', body: 'slugify leaves dashes', labels: ['agent:fix'], user: 'acme' };

/** Appends a line each run (so every run has a commit), then summarises. */
const appendLine =
  (file = 'NOTES.md', summary = 'Appended a note.') =>
  (req: Req) =>
    req.body.messages.length === 1 ? { content: [bash(`echo "run" >> ${file}`)] } : { content: [text(summary)] };

const setup = useWorld((o) => ({
  fixtureDir: SAMPLE,
  anthropic: { script: appendLine() as never },
  ...o,
  github: { permissions: { alice: 'write' }, issues: [ISSUE], ...o.github },
}));

const receiptsOn = (w: World, n: number) => w.github.state.comments.filter((c) => c.issueNumber === n && c.body.includes(RECEIPT));
const labeled = (label = 'agent:fix', labels = ['agent:fix']) => issuesLabeled({ ...REPO, number: 4, title: ISSUE.title, body: ISSUE.body, label, labels, sender: 'acme' });
/** A commit by someone else on `branch` in the origin (like a push from a laptop). */
function pushByHuman(w: World, branch: string): string {
  const g = (...args: string[]) => execFileSync('git', ['-c', 'user.name=Human', '-c', 'user.email=h@example.com', ...args], { cwd: w.originDir, encoding: 'utf8' }).trim();
  const tip = g('rev-parse', `refs/heads/${branch}`);
  const commit = g('commit-tree', `${tip}^{tree}`, '-p', tip, '-m', 'human change');
  g('update-ref', `refs/heads/${branch}`, commit);
  return commit;
}

describe('the same event delivered three times', () => {
  it('issues.labeled ×3 → one PR, one receipt (edited in place), the branch continued', async () => {
    const w = await setup();
    const outs = [];
    for (let i = 0; i < 3; i++) outs.push((await w.run({ eventName: 'issues', payload: labeled() })).outputs);
    expect(outs.map((o) => o.status)).toEqual(['completed', 'completed', 'completed']);
    expect(new Set(outs.map((o) => o['pr-number'])).size).toBe(1);
    expect(new Set(outs.map((o) => o['comment-url'])).size).toBe(1);
    expect(w.github.state.pulls).toHaveLength(1);
    expect(w.github.state.comments.filter((c) => c.issueNumber === 4)).toHaveLength(1);
    expect(receiptsOn(w, 4)).toHaveLength(1);
    expect(w.github.calls.filter((c) => c.operationId === 'pulls/create')).toHaveLength(1);
    expect(w.github.calls.filter((c) => c.operationId === 'issues/create-comment')).toHaveLength(1); // later runs edit it
    expect((await w.originGit(['show', 'refs/heads/taskcap/issue-4:NOTES.md'])).stdout).toBe('run\nrun\nrun\n');
    // The receipt shows the last run's numbers.
    expect(receiptsOn(w, 4)[0].body).toContain(Number(outs[2]['loop-tokens']).toLocaleString('en-US'));
  }, 150_000);

  it('re-runs of the same job (GITHUB_RUN_ATTEMPT 1, 2, 3) → one PR, one receipt', async () => {
    const w = await setup();
    for (const attempt of ['1', '2', '3']) {
      const r = await w.run({ eventName: 'issues', payload: labeled(), runAttempt: attempt });
      expect(r.outputs.status).toBe('completed');
    }
    expect(w.github.state.pulls).toHaveLength(1);
    expect(receiptsOn(w, 4)).toHaveLength(1);
    expect(receiptsOn(w, 4)[0].body).toContain('/attempts/3');
  }, 150_000);

  it('re-labeling with a budget label updates the same PR and the same receipt, with the new budget', async () => {
    const w = await setup({ github: { permissions: { alice: 'write' }, issues: [{ ...ISSUE, labels: ['agent:fix', 'budget:70k'] }] } });
    const r1 = await w.run({ eventName: 'issues', payload: labeled() });
    const r2 = await w.run({ eventName: 'issues', payload: labeled('budget:70k', ['agent:fix', 'budget:70k']) });
    expect([r1.outputs.budget, r2.outputs.budget]).toEqual(['50000', '70000']);
    expect(w.github.state.pulls).toHaveLength(1);
    expect(receiptsOn(w, 4)).toHaveLength(1);
    expect(receiptsOn(w, 4)[0].body).toContain('70,000');
  }, 150_000);

  it('an issue comment /agent ×3 → one PR, one receipt, the command comment untouched', async () => {
    const body = '/agent';
    const w = await setup({ github: { permissions: { alice: 'write' }, issues: [ISSUE], comments: [{ issueNumber: 4, id: 5001, user: 'alice', body }] } });
    const payload = issueCommentCreated({ ...REPO, number: 4, commentId: 5001, body, sender: 'alice', labels: ['agent:fix'] });
    for (let i = 0; i < 3; i++) expect((await w.run({ eventName: 'issue_comment', payload })).outputs.status).toBe('completed');
    expect(w.github.state.pulls).toHaveLength(1);
    expect(receiptsOn(w, 4)).toHaveLength(1);
    expect(w.github.state.comments.filter((c) => c.issueNumber === 4)).toHaveLength(2); // the command + the receipt
    expect(w.github.state.reactions.filter((r) => r.content === 'eyes')).toHaveLength(1);
  }, 150_000);

  it('a PR label ×3 on a same-repo PR → no new PR, one receipt on the PR', async () => {
    const w = await setup({ extraRefs: PR_REFS, github: { permissions: { alice: 'write' }, pulls: [PR7] } });
    for (let i = 0; i < 3; i++) {
      // Each delivery names the head as it was when that label was added (GitHub re-sends the event with its own sha).
      const head = (await w.branchSha('feature/trim'))!;
      const r = await w.run({
        eventName: 'pull_request',
        payload: pullRequestLabeled({ ...REPO, number: 7, label: 'agent:fix', headRef: 'feature/trim', headSha: head, sender: 'alice' }),
        checkoutRef: 'refs/pull/7/merge',
      });
      expect(r.outputs.status).toBe('completed');
    }
    expect(w.github.state.pulls).toHaveLength(1);
    expect(receiptsOn(w, 7)).toHaveLength(1);
    expect((await w.originGit(['show', 'refs/heads/feature/trim:NOTES.md'])).stdout).toBe('run\nrun\nrun\n');
  }, 150_000);

  it('the identical PR-label payload ×3 (a job re-run carries the original head sha): one receipt, no failure, no pile of notices', async () => {
    const w = await setup({ extraRefs: PR_REFS, github: { permissions: { alice: 'write' }, pulls: [PR7] } });
    const head = (await w.branchSha('feature/trim'))!;
    const payload = pullRequestLabeled({ ...REPO, number: 7, label: 'agent:fix', headRef: 'feature/trim', headSha: head, sender: 'alice' });
    const runs = [];
    for (const attempt of ['1', '2', '3']) runs.push(await w.run({ eventName: 'pull_request', payload, runAttempt: attempt, checkoutRef: 'refs/pull/7/merge' }));
    expect(runs[0].outputs.status).toBe('completed');
    expect(w.github.state.pulls).toHaveLength(1);
    expect(receiptsOn(w, 7)).toHaveLength(1);
    expect(w.github.state.comments.filter((c) => c.issueNumber === 7 && c.body.includes('<!-- taskcap:notice')).length).toBeLessThanOrEqual(1);
    expect(runs.map((r) => r.exitCode)).toEqual([0, 0, 0]);
  }, 150_000);

  it("a receipt-looking comment by someone else is not taken over: taskcap posts its own", async () => {
    const w = await setup({ github: { permissions: { alice: 'write' }, issues: [ISSUE], comments: [{ issueNumber: 4, id: 4001, user: 'alice', body: `${RECEIPT}\nfake` }] } });
    await w.run({ eventName: 'issues', payload: labeled() });
    expect(w.github.state.comments.find((c) => c.id === 4001)?.body).toBe(`${RECEIPT}\nfake`);
    expect(receiptsOn(w, 4).filter((c) => c.user === 'github-actions[bot]')).toHaveLength(1);
  }, 90_000);
});

describe('a PR whose head moved', () => {
  it('moved after the event, before the run: nothing pushed, no model call, a notice', async () => {
    const w = await setup({ extraRefs: PR_REFS, github: { permissions: { alice: 'write' }, pulls: [PR7] } });
    const old = (await w.branchSha('feature/trim'))!;
    const moved = pushByHuman(w, 'feature/trim');
    const r = await w.run({
      eventName: 'pull_request',
      payload: pullRequestLabeled({ ...REPO, number: 7, label: 'agent:fix', headRef: 'feature/trim', headSha: old, sender: 'alice' }),
      checkoutRef: 'refs/pull/7/merge',
    });
    expect(r.outputs.status).not.toBe('completed');
    expect(r.stdout).toMatch(/moved after the request/);
    expect(w.anthropic!.requests).toHaveLength(0);
    expect(await w.branchSha('feature/trim')).toBe(moved);
    expect(w.origin.pushes).toEqual([]);
    const notices = w.github.state.comments.filter((c) => c.issueNumber === 7 && c.body.includes('<!-- taskcap:notice'));
    expect(notices).toHaveLength(1);
    expect(notices[0].body).toContain(old.slice(0, 7));
    expect(notices[0].body).toContain(moved.slice(0, 7));
    expect(w.github.writes().map((c) => c.operationId)).toEqual(['issues/create-comment']);
  }, 90_000);

  it('moved while taskcap worked: the work is not pushed over the new commit', async () => {
    let moved = '';
    let current: World | undefined;
    const w = await setup({
      extraRefs: PR_REFS,
      github: { permissions: { alice: 'write' }, pulls: [PR7] },
      anthropic: {
        script: ((req: Req) => {
          if (req.body.messages.length === 1) {
            moved = pushByHuman(current!, 'feature/trim');
            return { content: [bash('echo "// agent" >> src/extra.js')] };
          }
          return { content: [text('Edited extra.')] };
        }) as never,
      },
    });
    current = w;
    const old = (await w.branchSha('feature/trim'))!;
    const r = await w.run({
      eventName: 'pull_request',
      payload: pullRequestLabeled({ ...REPO, number: 7, label: 'agent:fix', headRef: 'feature/trim', headSha: old, sender: 'alice' }),
      checkoutRef: 'refs/pull/7/merge',
    });
    expect(moved).not.toBe('');
    expect(r.outputs.status).toBe('failed');
    expect(r.stdout).toMatch(/got new commits/);
    expect(await w.branchSha('feature/trim')).toBe(moved);
    expect(w.origin.pushes).toEqual([]);
    expect(w.github.state.pulls).toHaveLength(1);
  }, 90_000);
});

describe('explore and research: a written result', () => {
  const FINDINGS = '## Findings\n\nslugify is only called from two places; the dash bug comes from the replace on line 8.';
  const sayOnly = (req: Req) => (req.body.messages.length === 1 ? { content: [bash('grep -rn slugify src | head')] } : { content: [text(FINDINGS)] });

  it('agent:explore → a result comment on the issue and a receipt; no files changed, so no PR', async () => {
    const w = await setup({ github: { permissions: { alice: 'write' }, issues: [{ ...ISSUE, labels: ['agent:explore'] }] }, anthropic: { script: sayOnly as never } });
    const r = await w.run({ eventName: 'issues', payload: labeled('agent:explore', ['agent:explore']) });
    expect([r.exitCode, r.outputs.status, r.outputs['budget-class'], r.outputs.budget]).toEqual([0, 'completed', 'explore', '150000']);
    const results = w.github.state.comments.filter((c) => c.issueNumber === 4 && c.body.includes('<!-- taskcap:result key=issue-4 -->'));
    expect(results).toHaveLength(1);
    expect(results[0].body).toContain('slugify is only called from two places');
    expect(receiptsOn(w, 4)).toHaveLength(1);
    expect(w.github.state.pulls).toHaveLength(0);
    expect(w.origin.pushes).toEqual([]);

    // Delivered again: the result and the receipt are edited in place.
    await w.run({ eventName: 'issues', payload: labeled('agent:explore', ['agent:explore']) });
    expect(w.github.state.comments.filter((c) => c.issueNumber === 4 && c.body.includes('<!-- taskcap:result'))).toHaveLength(1);
    expect(receiptsOn(w, 4)).toHaveLength(1);
  }, 150_000);

  it('a scheduled explore task that changes no files: its written result is published somewhere (not lost)', async () => {
    const w = await setup({
      files: { '.github/taskcap.yml': 'tasks:\n  audit: { class: explore, schedule: "0 3 * * 1", prompt: "Audit the dependencies." }\n' },
      anthropic: { script: sayOnly as never },
    });
    const r = await w.run({ eventName: 'schedule', payload: schedule({ cron: '0 3 * * 1' }) });
    expect([r.outputs.status, r.outputs['budget-class']]).toEqual(['completed', 'explore']);
    expect(w.anthropic!.requests.length).toBeGreaterThan(0); // the findings were paid for
    const published = [r.summary, ...w.github.state.comments.map((c) => c.body), ...w.github.state.issues.map((i) => i.body ?? '')];
    expect(published.some((t) => t.includes('slugify is only called from two places'))).toBe(true);
  }, 90_000);

  it('/agent research with file changes → a result comment and a PR', async () => {
    const body = '/agent research\nWrite up slug libraries in docs/slugs.md.';
    const w = await setup({
      github: { permissions: { alice: 'write' }, issues: [{ ...ISSUE, labels: [] }], comments: [{ issueNumber: 4, id: 5001, user: 'alice', body }] },
      anthropic: { script: ((req: Req) => (req.body.messages.length === 1 ? { content: [bash('mkdir -p docs && echo "# Slugs" > docs/slugs.md')] } : { content: [text(FINDINGS)] })) as never },
    });
    const r = await w.run({ eventName: 'issue_comment', payload: issueCommentCreated({ ...REPO, number: 4, commentId: 5001, body, sender: 'alice' }) });
    expect([r.outputs.status, r.outputs['budget-class'], r.outputs.budget]).toEqual(['completed', 'research', '250000']);
    expect(w.github.state.comments.filter((c) => c.body.includes('<!-- taskcap:result key=issue-4 -->'))).toHaveLength(1);
    expect(w.github.state.pulls).toHaveLength(1);
    expect((await w.originGit(['show', 'refs/heads/taskcap/issue-4:docs/slugs.md'])).stdout).toBe('# Slugs\n');
  }, 90_000);
});
