// Webhook payload builders (test/sim/payloads.mjs): real @octokit/webhooks-examples payloads,
// edited only where a scenario needs it, and valid against GitHub's current webhook schemas.
import { describe, expect, it } from '@jest/globals';
import {
  EXAMPLES,
  WEBHOOK_SCHEMAS,
  issueCommentCreated,
  issuesLabeled,
  pullRequestLabeled,
  pullRequestReviewCommentCreated,
  pullRequestReviewSubmitted,
  schedule,
  validateWebhookPayload,
  webhookExample,
  workflowDispatch,
} from '../../test/sim/payloads.mjs';
import { repoId, userId } from '../../test/sim/github.mjs';

type Builder = keyof typeof WEBHOOK_SCHEMAS;
const builders: Record<Builder, (o?: any) => any> = {
  issuesLabeled,
  pullRequestLabeled,
  issueCommentCreated,
  pullRequestReviewCommentCreated,
  pullRequestReviewSubmitted,
  workflowDispatch,
};
const names = Object.keys(builders) as Builder[];

const example = (b: Builder) => {
  const e = EXAMPLES[b];
  return webhookExample(e.name, e.index, e.action);
};

/** Every string in a JSON value, with its path. */
function strings(node: unknown, path = ''): [string, string][] {
  if (typeof node === 'string') return [[path, node]];
  if (Array.isArray(node)) return node.flatMap((x, i) => strings(x, `${path}/${i}`));
  if (node && typeof node === 'object') return Object.entries(node).flatMap(([k, v]) => strings(v, `${path}/${k}`));
  return [];
}

const elsewhere = {
  owner: 'acme',
  repo: 'widgets',
  defaultBranch: 'trunk',
  sender: 'octocat',
  number: 42,
  serverUrl: 'http://127.0.0.1:3000',
  apiUrl: 'http://127.0.0.1:3001',
};

describe('every builder', () => {
  it.each(names)('%s validates against GitHub\'s webhook schema, with defaults and elsewhere', async (b) => {
    expect(await validateWebhookPayload(WEBHOOK_SCHEMAS[b], builders[b]())).toEqual([]);
    expect(await validateWebhookPayload(WEBHOOK_SCHEMAS[b], builders[b]({ ...elsewhere, fork: true, onPullRequest: true }))).toEqual([]);
  });

  it('validation can fail: a payload without its comment body is rejected', async () => {
    const p = issueCommentCreated();
    delete p.comment.body;
    expect(await validateWebhookPayload('issue-comment-created', p)).toEqual([expect.stringContaining("must have required property 'body'")]);
    await expect(validateWebhookPayload('nope', {})).rejects.toThrow(/unknown webhook/);
  });

  it.each(names)('%s moves every repository URL and host, and sets repository and sender consistently', (b) => {
    const p = builders[b](elsewhere);
    expect(p.repository).toMatchObject({
      name: 'widgets',
      full_name: 'acme/widgets',
      default_branch: 'trunk',
      owner: { login: 'acme' },
      id: repoId('acme/widgets'),
      html_url: 'http://127.0.0.1:3000/acme/widgets',
      url: 'http://127.0.0.1:3001/repos/acme/widgets',
    });
    expect(p.sender).toMatchObject({ login: 'octocat', id: userId('octocat'), type: 'User' });
    for (const [path, s] of strings(p)) {
      if (!/^(https?:|git[:@])/.test(s)) continue;
      expect([path, s.includes('Codertocat/Hello-World') || s.includes('octo-org/octo-repo')]).toEqual([path, false]);
      expect([path, /^https:\/\/(api\.)?github\.com/.test(s)]).toEqual([path, false]);
    }
  });

  it.each(names)('%s keeps the example\'s fields: same keys, untouched values', (b) => {
    const ex = example(b);
    const p = builders[b]();
    // workflow_dispatch: the example's organization is dropped (the repository moves to `owner`)
    const dropped = b === 'workflowDispatch' ? ['organization'] : [];
    expect(Object.keys(p).sort()).toEqual(Object.keys(ex).filter((k) => !dropped.includes(k)).sort());
    expect(p.repository.created_at).toBe(ex.repository.created_at);
    expect(p.repository.description).toBe(ex.repository.description);
    for (const key of ['issue', 'pull_request', 'comment', 'review']) {
      if (!ex[key]) continue;
      for (const k of Object.keys(ex[key])) expect([key, k, k in p[key]]).toEqual([key, k, true]);
      expect(p[key].created_at ?? p[key].submitted_at).toBe(ex[key].created_at ?? ex[key].submitted_at);
    }
  });
});

describe('issuesLabeled', () => {
  it('sets the issue, its labels and the label just added', () => {
    const p = issuesLabeled({ number: 7, title: 'Crash on start', body: 'Steps...', labels: ['bug', 'agent:fix'], label: 'agent:fix', sender: 'octocat' });
    expect(p.action).toBe('labeled');
    expect(p.issue).toMatchObject({ number: 7, title: 'Crash on start', body: 'Steps...', user: { login: 'octocat' }, state: 'open' });
    expect(p.issue.html_url).toBe('https://github.com/Codertocat/Hello-World/issues/7');
    expect(p.issue.url).toBe('https://api.github.com/repos/Codertocat/Hello-World/issues/7');
    expect(p.issue.labels.map((l: any) => l.name)).toEqual(['bug', 'agent:fix']);
    expect(p.label).toMatchObject({ name: 'agent:fix', url: 'https://api.github.com/repos/Codertocat/Hello-World/labels/agent%3Afix' });
    expect(p.issue.pull_request).toBeUndefined();
    expect(p.sender.login).toBe('octocat');
  });

  it('adds the label to labels, and keeps the example\'s bug label as the default', () => {
    expect(issuesLabeled({ labels: ['a'], label: 'b' }).issue.labels.map((l: any) => l.name)).toEqual(['a', 'b']);
    const p = issuesLabeled();
    expect(p.label).toEqual(example('issuesLabeled').label);
  });

  it('makes bots look like GitHub bots', () => {
    const p = issuesLabeled({ sender: 'github-actions[bot]', author: 'octocat' });
    expect(p.sender).toMatchObject({ login: 'github-actions[bot]', type: 'Bot', id: 41898282, html_url: 'https://github.com/apps/github-actions' });
    expect(p.issue.user.login).toBe('octocat');
    expect(issuesLabeled({ sender: 'renovate', senderType: 'Bot' }).sender.type).toBe('Bot');
  });
});

describe('pullRequestLabeled', () => {
  it('sets head, base and number for a same-repository PR', () => {
    const p = pullRequestLabeled({ number: 3, label: 'agent:fix', headRef: 'feature', headSha: 'a'.repeat(40), baseRef: 'main', baseSha: 'b'.repeat(40) });
    expect(p.number).toBe(3);
    expect(p.pull_request).toMatchObject({
      number: 3,
      draft: false,
      html_url: 'https://github.com/Codertocat/Hello-World/pull/3',
      head: { ref: 'feature', sha: 'a'.repeat(40), label: 'Codertocat:feature', repo: { full_name: 'Codertocat/Hello-World', fork: false } },
      base: { ref: 'main', sha: 'b'.repeat(40), label: 'Codertocat:main', repo: { full_name: 'Codertocat/Hello-World' } },
      statuses_url: `https://api.github.com/repos/Codertocat/Hello-World/statuses/${'a'.repeat(40)}`,
    });
    expect(p.pull_request._links.html.href).toBe('https://github.com/Codertocat/Hello-World/pull/3');
    expect(p.label.name).toBe('agent:fix');
    expect(p.installation).toEqual(example('pullRequestLabeled').installation);
  });

  it('models a PR from a fork', () => {
    const p = pullRequestLabeled({ fork: true, sender: 'forker', headRef: 'patch-1' });
    expect(p.pull_request.head).toMatchObject({ label: 'forker:patch-1', user: { login: 'forker' }, repo: { full_name: 'forker/Hello-World', fork: true, owner: { login: 'forker' } } });
    expect(p.pull_request.head.repo.clone_url).toBe('https://github.com/forker/Hello-World.git');
    expect(p.pull_request.base.repo.full_name).toBe('Codertocat/Hello-World');
    expect(p.pull_request.user.login).toBe('forker');
    expect(pullRequestLabeled({ fork: 'other/fork-name' }).pull_request.head.repo.full_name).toBe('other/fork-name');
  });
});

describe('issueCommentCreated', () => {
  it('sets the comment on an issue', () => {
    const p = issueCommentCreated({ number: 5, body: '@claude please fix', commentId: 7001, sender: 'octocat' });
    expect(p.action).toBe('created');
    expect(p.comment).toMatchObject({
      id: 7001,
      body: '@claude please fix',
      user: { login: 'octocat' },
      author_association: 'NONE',
      url: 'https://api.github.com/repos/Codertocat/Hello-World/issues/comments/7001',
      html_url: 'https://github.com/Codertocat/Hello-World/issues/5#issuecomment-7001',
      issue_url: 'https://api.github.com/repos/Codertocat/Hello-World/issues/5',
    });
    expect(p.issue.number).toBe(5);
    expect(p.issue.pull_request).toBeUndefined();
    expect(issueCommentCreated({ sender: 'Codertocat' }).comment.author_association).toBe('OWNER');
  });

  it('marks the issue as a pull request when onPullRequest', () => {
    const p = issueCommentCreated({ number: 2, onPullRequest: true });
    expect(p.issue.pull_request).toEqual({
      url: 'https://api.github.com/repos/Codertocat/Hello-World/pulls/2',
      html_url: 'https://github.com/Codertocat/Hello-World/pull/2',
      diff_url: 'https://github.com/Codertocat/Hello-World/pull/2.diff',
      patch_url: 'https://github.com/Codertocat/Hello-World/pull/2.patch',
      merged_at: null,
    });
    expect(p.issue.html_url).toBe('https://github.com/Codertocat/Hello-World/pull/2');
    expect(p.comment.html_url).toMatch(/\/pull\/2#issuecomment-/);
  });

  it('can come from a bot, and carry the issue\'s title, body, author and labels', () => {
    const p = issueCommentCreated({ sender: 'github-actions[bot]', issueTitle: 'T', issueBody: 'B', issueAuthor: 'mona', labels: ['agent:fix'] });
    expect(p.comment.user).toMatchObject({ login: 'github-actions[bot]', type: 'Bot' });
    expect(p.issue).toMatchObject({ title: 'T', body: 'B', user: { login: 'mona' } });
    expect(p.issue.labels.map((l: any) => l.name)).toEqual(['agent:fix']);
  });
});

describe('pullRequestReviewCommentCreated', () => {
  it('sets the comment position, thread and commit', () => {
    const sha = 'c'.repeat(40);
    const p = pullRequestReviewCommentCreated({
      number: 2,
      body: '@claude rename this',
      commentId: 8001,
      reviewId: 900,
      path: 'src/a.ts',
      line: 12,
      diffHunk: '@@ -10,3 +10,3 @@\n-a\n+b',
      headRef: 'feature',
      headSha: sha,
      sender: 'octocat',
    });
    expect(p.comment).toMatchObject({
      id: 8001,
      pull_request_review_id: 900,
      body: '@claude rename this',
      path: 'src/a.ts',
      line: 12,
      original_line: 12,
      diff_hunk: '@@ -10,3 +10,3 @@\n-a\n+b',
      commit_id: sha,
      original_commit_id: sha,
      user: { login: 'octocat' },
      html_url: 'https://github.com/Codertocat/Hello-World/pull/2#discussion_r8001',
      url: 'https://api.github.com/repos/Codertocat/Hello-World/pulls/comments/8001',
      start_line: null,
    });
    expect(p.comment.in_reply_to_id).toBeUndefined();
    expect(p.pull_request.head).toMatchObject({ ref: 'feature', sha });
    expect(pullRequestReviewCommentCreated({ inReplyTo: 8000 }).comment.in_reply_to_id).toBe(8000);
  });
});

describe('pullRequestReviewSubmitted', () => {
  it('sets the review', () => {
    const p = pullRequestReviewSubmitted({ number: 2, reviewId: 900, body: 'Please fix', state: 'changes_requested', headSha: 'd'.repeat(40), sender: 'octocat' });
    expect(p.action).toBe('submitted');
    expect(p.review).toMatchObject({
      id: 900,
      body: 'Please fix',
      state: 'changes_requested',
      commit_id: 'd'.repeat(40),
      user: { login: 'octocat' },
      html_url: 'https://github.com/Codertocat/Hello-World/pull/2#pullrequestreview-900',
    });
    expect(pullRequestReviewSubmitted().review.body).toBeNull();
  });
});

describe('workflowDispatch and schedule', () => {
  it('sets inputs and ref, defaulting to the default branch', () => {
    const p = workflowDispatch({ owner: 'acme', repo: 'widgets', defaultBranch: 'trunk', inputs: { task: 'fix #1' }, sender: 'octocat' });
    expect(p).toMatchObject({ inputs: { task: 'fix #1' }, ref: 'refs/heads/trunk', repository: { full_name: 'acme/widgets' }, sender: { login: 'octocat' } });
    expect(p.organization).toBeUndefined();
    expect(p.workflow).toBe(example('workflowDispatch').workflow);
    expect(workflowDispatch({ ref: 'refs/heads/x' }).ref).toBe('refs/heads/x');
  });

  it('builds the Actions-only schedule payload', () => {
    expect(schedule({ cron: '*/15 * * * *' })).toEqual({ schedule: '*/15 * * * *' });
  });
});

describe('webhookExample', () => {
  it('returns deep copies and checks the action', () => {
    const a = webhookExample('issues', 9, 'labeled');
    a.issue.title = 'changed';
    expect(webhookExample('issues', 9, 'labeled').issue.title).not.toBe('changed');
    expect(() => webhookExample('issues', 0, 'labeled')).toThrow(/expected "labeled"/);
    expect(() => webhookExample('nope', 0)).toThrow(/no nope example/);
  });
});
