// Issue 4, through the bundle: the permission gate and the events taskcap must not act on.
// Every refusal and skip here is proven to make ZERO model requests and ZERO pushes. The only GitHub writes are
// the notices that answer a person where they asked (a permission refusal, a fork PR, a moved head), asserted
// exactly; skips, bots and re-runs from the Actions tab write nothing at all.
import { describe, expect, it } from '@jest/globals';
import {
  issueCommentCreated,
  issuesLabeled,
  pullRequestLabeled,
  pullRequestReviewCommentCreated,
  pullRequestReviewSubmitted,
  workflowDispatch,
} from '../../test/sim/payloads.mjs';
import { oneEdit, REPO, SAMPLE, useWorld, type World } from './world-fixture.js';

const PEOPLE = { alice: 'write', mona: 'maintain', rita: 'read', tom: 'triage', nobody: 'none', flaky: 500, 'renovate[bot]': 'write' } as const;
const ISSUE = { number: 4, title: 'slugify leaves dashes', body: 'Trailing dashes.', labels: ['agent:fix'], user: 'acme' };
const PR_REFS = [{ ref: 'refs/heads/feature/trim', files: { 'src/extra.js': 'export const extra = 1;\n' }, message: 'Add extra helper' }];
const PR7 = { number: 7, title: 'Add an extra helper', head: 'feature/trim', user: 'acme' };

const setup = useWorld((o) => ({
  fixtureDir: SAMPLE,
  anthropic: { script: oneEdit as never },
  ...o,
  github: { permissions: { ...PEOPLE }, issues: [ISSUE], ...o.github },
}));

const labeledBy = (sender: string, o: Parameters<typeof issuesLabeled>[0] = {}) =>
  issuesLabeled({ ...REPO, number: 4, title: ISSUE.title, label: 'agent:fix', sender, author: 'acme', ...o });

/** Nothing happened: no model request, no GitHub write. */
function expectUntouched(w: World) {
  expect(w.anthropic!.requests).toHaveLength(0);
  expect(w.github.writes()).toEqual([]);
  expect(w.origin.pushes).toEqual([]);
}

/** Refused with one answer on the item where the person asked (edited on later refusals), and nothing else. */
function expectRefusalNotice(w: World, on: number, runs = 1) {
  expect(w.anthropic!.requests).toHaveLength(0);
  expect(w.origin.pushes).toEqual([]);
  expect(w.github.writes().map((c) => c.operationId)).toEqual(['issues/create-comment', ...Array<string>(runs - 1).fill('issues/update-comment')]);
  const notices = w.github.state.comments.filter((c) => c.body.includes('<!-- taskcap:notice permission -->'));
  expect(notices.map((c) => c.issueNumber)).toEqual([on]);
  expect(notices[0].body).toContain('so nothing was started');
}

describe('the permission gate: refused, no model call, no write', () => {
  it.each([
    ['a read user', 'rita', /rita has 'read' permission/],
    ['a triage user', 'tom', /tom has 'triage' permission/],
    ['a user with no permission', 'nobody', /nobody has 'none' permission/],
    ['an unknown user (404)', 'stranger', /permission of stranger could not be checked/],
    ['a permission-API 500', 'flaky', /permission of flaky could not be checked/],
  ])('%s labeling an issue', async (_what, sender, reason) => {
    const w = await setup();
    const r = await w.run({ eventName: 'issues', payload: labeledBy(sender) });
    expect([r.exitCode, r.outputs.status]).toEqual([0, 'refused']);
    expect(r.stdout).toMatch(reason);
    expect(r.stdout).toMatch(/Refused: /);
    expectRefusalNotice(w, 4);
    // The gate asked the collaborator-permission API, not author_association.
    expect(w.github.calls.some((c) => c.operationId === 'repos/get-collaborator-permission-level' && c.params.username === sender)).toBe(true);
  }, 60_000);

  it('a read user whose payload claims OWNER association is still refused (author_association is never trusted)', async () => {
    const w = await setup({ github: { comments: [{ issueNumber: 4, id: 5001, user: 'rita', body: '/agent fix' }] } });
    const r = await w.run({
      eventName: 'issue_comment',
      payload: issueCommentCreated({ ...REPO, number: 4, commentId: 5001, body: '/agent fix', sender: 'rita', authorAssociation: 'OWNER' }),
    });
    expect(r.outputs.status).toBe('refused');
    expectRefusalNotice(w, 4);
  }, 60_000);

  it('a read user commenting /agent on a PR, and reviewing, is refused', async () => {
    const w = await setup({
      extraRefs: PR_REFS,
      github: {
        pulls: [PR7],
        comments: [{ issueNumber: 7, id: 5002, user: 'rita', body: '/agent go' }],
        reviewComments: [{ pullNumber: 7, id: 6001, path: 'src/extra.js', line: 1, body: '/agent rename', user: 'rita' }],
      },
    });
    const head = (await w.branchSha('feature/trim'))!;
    const r1 = await w.run({ eventName: 'issue_comment', payload: issueCommentCreated({ ...REPO, number: 7, commentId: 5002, body: '/agent go', sender: 'rita', onPullRequest: true }) });
    const r2 = await w.run({
      eventName: 'pull_request_review_comment',
      payload: pullRequestReviewCommentCreated({ ...REPO, number: 7, commentId: 6001, body: '/agent rename', headRef: 'feature/trim', headSha: head, sender: 'rita' }),
    });
    const r3 = await w.run({
      eventName: 'pull_request_review',
      payload: pullRequestReviewSubmitted({ ...REPO, number: 7, reviewId: 7001, body: '/agent do it', state: 'commented', headRef: 'feature/trim', headSha: head, sender: 'rita' }),
    });
    const r4 = await w.run({ eventName: 'pull_request', payload: pullRequestLabeled({ ...REPO, number: 7, label: 'agent:fix', headRef: 'feature/trim', headSha: head, sender: 'rita' }) });
    expect([r1, r2, r3, r4].map((r) => r.outputs.status)).toEqual(['refused', 'refused', 'refused', 'refused']);
    expectRefusalNotice(w, 7, 4);
  }, 90_000);

  it('a read user dispatching is refused', async () => {
    const w = await setup();
    const r = await w.run({ eventName: 'workflow_dispatch', payload: workflowDispatch({ ...REPO, inputs: { prompt: 'Do things', class: 'fix' }, sender: 'rita' }) });
    expect(r.outputs.status).toBe('refused');
    expectUntouched(w);
  }, 60_000);

  it('a read user asking for an invalid budget is refused (not failed): the gate comes before validating the request', async () => {
    const w = await setup({ github: { comments: [{ issueNumber: 4, id: 5001, user: 'rita', body: '/agent budget=1k' }] } });
    const r = await w.run({ eventName: 'issue_comment', payload: issueCommentCreated({ ...REPO, number: 4, commentId: 5001, body: '/agent budget=1k', sender: 'rita' }) });
    expectRefusalNotice(w, 4);
    expect([r.exitCode, r.outputs.status]).toEqual([0, 'refused']);
  }, 60_000);
});

describe('bots', () => {
  it('a bot sender is refused unless listed in allowed-bots', async () => {
    const w = await setup();
    const r = await w.run({ eventName: 'issues', payload: labeledBy('renovate[bot]', { senderType: 'Bot' }) });
    expect(r.outputs.status).toBe('refused');
    expect(r.stdout).toMatch(/renovate\[bot\] is a bot and is not listed in 'allowed-bots'/);
    expectUntouched(w);
  }, 60_000);

  it('allowed-bots must name the bot exactly', async () => {
    const w = await setup();
    const r = await w.run({ eventName: 'issues', payload: labeledBy('renovate[bot]', { senderType: 'Bot' }), inputs: { 'allowed-bots': 'renovate, dependabot[bot]' } });
    expect(r.outputs.status).toBe('refused');
    expectUntouched(w);
  }, 60_000);

  it('a bot listed in allowed-bots may trigger', async () => {
    const w = await setup();
    const r = await w.run({ eventName: 'issues', payload: labeledBy('renovate[bot]', { senderType: 'Bot' }), inputs: { 'allowed-bots': 'dependabot[bot], renovate[bot]' } });
    expect([r.exitCode, r.outputs.status]).toEqual([0, 'completed']);
    expect(w.anthropic!.requests.length).toBeGreaterThan(0);
    expect(w.github.state.pulls).toHaveLength(1);
  }, 90_000);

  it('taskcap itself (github-actions[bot]) commenting /agent is refused', async () => {
    const w = await setup({ github: { comments: [{ issueNumber: 4, id: 5001, user: 'github-actions[bot]', body: '/agent fix' }] } });
    const r = await w.run({ eventName: 'issue_comment', payload: issueCommentCreated({ ...REPO, number: 4, commentId: 5001, body: '/agent fix', sender: 'github-actions[bot]', senderType: 'Bot' }) });
    expect(r.outputs.status).toBe('refused');
    expectUntouched(w);
  }, 60_000);
});

describe("taskcap's own markers never start work", () => {
  const OWN = [
    '/agent fix\n<!-- taskcap:receipt -->\n| loop tokens | 1,000 |',
    '<!-- taskcap:result key=issue-4 -->\n/agent explore',
    '/agent\n<!-- taskcap:notice -->',
  ];
  it.each(OWN)('an issue comment carrying a marker is skipped: %j', async (body) => {
    const w = await setup({ github: { comments: [{ issueNumber: 4, id: 5001, user: 'acme', body }] } });
    const r = await w.run({ eventName: 'issue_comment', payload: issueCommentCreated({ ...REPO, number: 4, commentId: 5001, body, sender: 'acme' }) });
    expect([r.exitCode, r.outputs.status]).toEqual([0, 'skipped']);
    expect(r.stdout).toMatch(/was written by taskcap/);
    expectUntouched(w);
  }, 60_000);

  it('a review comment and a review carrying a marker are skipped', async () => {
    const w = await setup({ extraRefs: PR_REFS, github: { pulls: [PR7] } });
    const head = (await w.branchSha('feature/trim'))!;
    const r1 = await w.run({
      eventName: 'pull_request_review_comment',
      payload: pullRequestReviewCommentCreated({ ...REPO, number: 7, commentId: 6001, body: '/agent x\n<!-- taskcap:reply -->', headRef: 'feature/trim', headSha: head, sender: 'acme' }),
    });
    const r2 = await w.run({
      eventName: 'pull_request_review',
      payload: pullRequestReviewSubmitted({ ...REPO, number: 7, reviewId: 7001, body: '/agent\n<!-- taskcap:reply -->', headRef: 'feature/trim', headSha: head, sender: 'acme' }),
    });
    expect([r1.outputs.status, r2.outputs.status]).toEqual(['skipped', 'skipped']);
    expectUntouched(w);
  }, 60_000);
});

describe('events that are not requests: skipped with a one-line reason, nothing written', () => {
  it('a comment that does not start with /agent, an edited comment, a mid-line /agent', async () => {
    const w = await setup();
    const plain = await w.run({ eventName: 'issue_comment', payload: issueCommentCreated({ ...REPO, number: 4, commentId: 5001, body: 'thanks!', sender: 'acme' }) });
    const edited = issueCommentCreated({ ...REPO, number: 4, commentId: 5001, body: '/agent fix', sender: 'acme' });
    edited.action = 'edited';
    const e = await w.run({ eventName: 'issue_comment', payload: edited });
    const mid = await w.run({ eventName: 'issue_comment', payload: issueCommentCreated({ ...REPO, number: 4, commentId: 5001, body: 'could someone /agent this?', sender: 'acme' }) });
    expect([plain.outputs.status, e.outputs.status, mid.outputs.status]).toEqual(['skipped', 'skipped', 'skipped']);
    expect(plain.stdout).toMatch(/does not start with \/agent/);
    expect(e.stdout).toMatch(/only new comments start work/);
    expectUntouched(w);
  }, 60_000);

  it('changes_requested on a PR taskcap did not open, and an approval without /agent, are skipped', async () => {
    const w = await setup({ extraRefs: PR_REFS, github: { pulls: [PR7] } });
    const head = (await w.branchSha('feature/trim'))!;
    const r1 = await w.run({
      eventName: 'pull_request_review',
      payload: pullRequestReviewSubmitted({ ...REPO, number: 7, reviewId: 7001, body: 'Please rename.', state: 'changes_requested', headRef: 'feature/trim', headSha: head, sender: 'acme' }),
    });
    const r2 = await w.run({
      eventName: 'pull_request_review',
      payload: pullRequestReviewSubmitted({ ...REPO, number: 7, reviewId: 7002, body: 'LGTM', state: 'approved', headRef: 'taskcap/issue-4', headSha: head, sender: 'acme' }),
    });
    expect([r1.outputs.status, r2.outputs.status]).toEqual(['skipped', 'skipped']);
    expect(r1.stdout).toMatch(/neither starts with \/agent nor requests changes on a taskcap PR/);
    expectUntouched(w);
  }, 60_000);

  it('a label on a closed issue, and a review comment without /agent', async () => {
    const w = await setup({ extraRefs: PR_REFS, github: { pulls: [PR7] } });
    const closed = labeledBy('acme');
    closed.issue.state = 'closed';
    const r1 = await w.run({ eventName: 'issues', payload: closed });
    const head = (await w.branchSha('feature/trim'))!;
    const r2 = await w.run({
      eventName: 'pull_request_review_comment',
      payload: pullRequestReviewCommentCreated({ ...REPO, number: 7, commentId: 6001, body: 'nit: rename', headRef: 'feature/trim', headSha: head, sender: 'acme' }),
    });
    expect([r1.outputs.status, r2.outputs.status]).toEqual(['skipped', 'skipped']);
    expectUntouched(w);
  }, 60_000);
});

describe('re-runs', () => {
  it('GITHUB_RUN_ATTEMPT=2 re-run by a read-only triggering actor is refused, even though the labeler is an admin', async () => {
    const w = await setup();
    const r = await w.run({ eventName: 'issues', payload: labeledBy('acme'), runAttempt: '2', env: { GITHUB_TRIGGERING_ACTOR: 'rita' } });
    expect([r.exitCode, r.outputs.status]).toEqual([0, 'refused']);
    expect(r.stdout).toMatch(/rita has 'read' permission/);
    expectUntouched(w);
  }, 60_000);

  it('a re-run by an unknown triggering actor is refused', async () => {
    const w = await setup();
    const r = await w.run({ eventName: 'issues', payload: labeledBy('acme'), runAttempt: '3', env: { GITHUB_TRIGGERING_ACTOR: 'ghost' } });
    expect(r.outputs.status).toBe('refused');
    expectUntouched(w);
  }, 60_000);

  it('a re-run by a writer proceeds', async () => {
    const w = await setup();
    const r = await w.run({ eventName: 'issues', payload: labeledBy('acme'), runAttempt: '2', env: { GITHUB_TRIGGERING_ACTOR: 'alice' } });
    expect(r.outputs.status).toBe('completed');
  }, 90_000);
});

describe('fork pull requests', () => {
  async function forkWorld() {
    const w = await setup({
      extraRefs: [{ ref: 'refs/pull/20/head', files: { 'src/evil.js': 'process.env\n' }, message: 'From a fork' }],
      github: { pulls: [{ number: 20, title: 'Fork change', head: 'patch-1', headRepoFullName: 'forker/slugkit', user: 'forker' }] },
    });
    const head = (await w.originGit(['rev-parse', 'refs/pull/20/head'])).stdout.trim();
    return { w, payload: pullRequestLabeled({ ...REPO, number: 20, label: 'agent:fix', headRef: 'patch-1', headSha: head, fork: 'forker', author: 'forker', sender: 'acme' }) };
  }

  it('a label on a fork PR is refused with one notice comment and no model call', async () => {
    const { w, payload } = await forkWorld();
    const r = await w.run({ eventName: 'pull_request', payload });
    expect([r.exitCode, r.outputs.status]).toEqual([0, 'refused']);
    expect(r.stdout).toMatch(/pull request #20 comes from the fork forker\/slugkit/);
    expect(w.anthropic!.requests).toHaveLength(0);
    expect(w.origin.pushes).toEqual([]);
    expect(w.github.writes().map((c) => c.operationId)).toEqual(['issues/create-comment']);
    const notices = w.github.state.comments.filter((c) => c.issueNumber === 20);
    expect(notices).toHaveLength(1);
    expect(notices[0].body).toContain('<!-- taskcap:notice');
    expect(notices[0].body).toMatch(/forks/);
  }, 60_000);

  it('/agent on a fork PR is refused the same way', async () => {
    const { w } = await forkWorld();
    const r = await w.run({ eventName: 'issue_comment', payload: issueCommentCreated({ ...REPO, number: 20, commentId: 5009, body: '/agent fix it', sender: 'alice', onPullRequest: true }) });
    expect(r.outputs.status).toBe('refused');
    expect(w.anthropic!.requests).toHaveLength(0);
    expect(w.github.state.comments.filter((c) => c.body.includes('<!-- taskcap:notice'))).toHaveLength(1);
  }, 60_000);

  it('the same fork event delivered twice leaves one notice, not two', async () => {
    const { w, payload } = await forkWorld();
    await w.run({ eventName: 'pull_request', payload });
    await w.run({ eventName: 'pull_request', payload });
    expect(w.anthropic!.requests).toHaveLength(0);
    expect(w.github.state.comments.filter((c) => c.issueNumber === 20 && c.body.includes('<!-- taskcap:notice'))).toHaveLength(1);
  }, 60_000);
});
