// npm run demo: the action's main job end to end. A sample repository with a bug, an issue labeled agent:fix,
// and the bundled action (dist/index.js) run the way the runner runs it, against a local GitHub (REST + git over
// HTTP). Claude is simulated unless ANTHROPIC_API_KEY is set, in which case the real API does the work.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { issuesLabeled, workflowDispatch } from '../test/sim/payloads.mjs';
import { createWorld } from '../test/sim/world.mjs';
import { scriptedFixReply } from './scripted-fix.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const realKey = process.env.ANTHROPIC_API_KEY;
const issue = {
  number: 1,
  title: 'slugify leaves a dash at the end of titles with punctuation',
  body: '`slugify("Hello, World!")` returns `"hello-world-"`; it should return `"hello-world"`.',
};

const rule = (title) => console.log(`\n\x1b[1m━━ ${title} ${'━'.repeat(Math.max(0, 70 - title.length))}\x1b[0m`);

const world = await createWorld({
  fixtureDir: path.join(here, 'sample-repo'),
  github: { issues: [{ ...issue, labels: ['agent:fix'], user: 'acme' }] },
  anthropic: realKey ? false : { script: scriptedFixReply },
});
try {
  rule(`Issue #${issue.number} labeled agent:fix (Claude: ${realKey ? 'real API' : 'simulated'})`);
  console.log(`${issue.title}\n${issue.body}`);
  const result = await world.run({
    eventName: 'issues',
    payload: issuesLabeled({ owner: world.owner, repo: world.repo, number: issue.number, title: issue.title, body: issue.body, label: 'agent:fix', sender: 'acme' }),
    inputs: { ...(realKey ? { 'anthropic-api-key': realKey } : {}), 'test-command': 'npm test', ledger: 'true' },
    env: realKey ? { ANTHROPIC_BASE_URL: process.env.ANTHROPIC_BASE_URL } : undefined,
    timeoutMs: 30 * 60_000,
  });

  rule('Action log');
  console.log(result.stdout.split('\n').filter((l) => l && !l.startsWith('::debug::') && !l.startsWith('::add-mask::')).join('\n'));
  if (result.stderr.trim()) console.log(result.stderr.trim());

  const pr = world.github.state.pulls[0];
  rule(pr ? `Pull request #${pr.number}${pr.draft ? ' (draft)' : ''}: ${pr.title}` : 'No pull request');
  if (pr) {
    console.log(pr.body);
    rule(`Diff main...${pr.head}`);
    console.log((await world.originGit(['diff', '--stat', '--patch', `main...refs/heads/${pr.head}`])).stdout);
  }
  const receipt = world.github.state.comments.find((c) => c.body.includes('<!-- taskcap:receipt -->'));
  rule(`Receipt comment on issue #${issue.number}`);
  console.log(receipt ? receipt.body : '(none)');
  rule('Outputs');
  for (const [k, v] of Object.entries(result.outputs)) console.log(`${k.padEnd(20)} ${v}`);

  // The run appended a line to the ledger branch; report mode turns the ledger into spend per class.
  const report = await world.run({
    eventName: 'workflow_dispatch',
    payload: workflowDispatch({ owner: world.owner, repo: world.repo, inputs: {}, sender: 'acme' }),
    inputs: { mode: 'report' },
  });
  rule('Spend report (mode: report, job summary)');
  console.log(report.summary.trim());
  if (world.github.violations.length) {
    rule('GitHub API violations');
    console.log(world.github.violations.join('\n'));
  }
  process.exitCode = result.exitCode ?? 1;
} finally {
  await world.close();
}
