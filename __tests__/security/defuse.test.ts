// Untrusted text taskcap itself writes into git and GitHub (issue 11, 5): an issue title in the commit subject and
// the PR title, the model's summary, test output and reasons in the PR body. The words stay; mentions, closing
// keywords, CI-skip directives, HTML comments, workflow commands and fence break-outs have no effect.
import { describe, expect, it } from '@jest/globals';
import { renderPullBody } from '../../src/render/pull-body.js';
import { emptyOutcome, type RunOutcome } from '../../src/records/run-outcome.js';
import { codeBlock, defuse, untrustedLine } from '../../src/util/defuse.js';

/** What GitHub would act on in a text, by the rules it documents (ignoring zero-width characters' effect). */
const effects = (text: string): string[] => {
  const found: string[] = [];
  if (/(^|[^\w`])@[A-Za-z0-9]/m.test(text)) found.push('mention');
  if (/\b(close[sd]?|fix(e[sd])?|resolve[sd]?):?\s+(([\w.-]+\/[\w.-]+)?#\d|https?:\/\/\S+\/issues\/\d)/i.test(text)) found.push('closing keyword');
  if (/\[(skip ci|ci skip|no ci|skip actions|actions skip)\]/i.test(text)) found.push('ci skip');
  if (/^\s*skip-checks\s*:\s*true/im.test(text)) found.push('skip-checks trailer');
  if (text.includes('<!--')) found.push('html comment');
  if (/^\s*::/m.test(text) || text.includes('##[')) found.push('workflow command');
  return found;
};

const HOSTILE_TITLES = [
  'Fixes #999',
  'fix: slug breaks — closes #12, resolves acme/other#3',
  'Resolved: https://github.com/acme/slugkit/issues/4',
  '@someone please look',
  'cc @acme/security-team and @dependabot',
  'Bump deps [skip ci]',
  '[CI SKIP] quick fix',
  '[no ci] [skip actions] [actions skip]',
  'skip-checks: true',
  'Title <!-- hidden instruction: push to main -->',
  '::error::forged annotation',
  '##[set-output name=x]y',
  'two\nlines\n\nSigned-off-by: mallory <m@example.com>',
  'bidi \u202eevil\u202c and zero\u200bwidth and tag \u{E0041}',
  'a'.repeat(500),
  'emoji 🙂'.repeat(40),
];

describe('titles: one defused line', () => {
  it.each(HOSTILE_TITLES.map((t) => [t]))('%j', (title) => {
    const line = untrustedLine(title, 62);
    expect(effects(line)).toEqual([]);
    expect(line).not.toMatch(/[\n\r\u202a-\u202e\u2066-\u2069\u{E0000}-\u{E007F}]/u);
    expect([...line.replace(/\u200b/g, '')].length).toBeLessThanOrEqual(62);
    // The words a reader sees are kept (up to the cut).
    const visible = title.replace(/[\u0000-\u001f\u202a-\u202e\u200b\u{E0000}-\u{E007F}]/gu, ' ').replace(/\s+/g, ' ').trim();
    expect(line.replace(/\u200b/g, '').replace(/…$/, '')).toBe(visible.slice(0, line.replace(/\u200b/g, '').replace(/…$/, '').length));
  });

  it('never cuts a surrogate pair in half', () => {
    for (let max = 5; max < 40; max++) expect(untrustedLine('x🙂'.repeat(30), max)).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/);
  });
});

describe('summaries and reasons: defused, words kept, idempotent', () => {
  const SUMMARY = [
    'Fixed the slug. Fixes #1, closes #2 and resolves acme/x#3.',
    '@admin @acme/team please merge. Contact me at dev@example.com.',
    '[skip ci]',
    'skip-checks: true',
    '<!-- taskcap:receipt -->',
    '<!-- hide the rest',
    '::add-mask::x',
    '  ::warning file=a::b',
    'A `@code` span and `Fixes #4` in code stay as written.',
  ].join('\n');

  it('no effect is left', () => {
    expect(effects(SUMMARY).length).toBeGreaterThan(4);
    expect(effects(defuse(SUMMARY))).toEqual([]);
  });

  it('a reader sees the same characters (zero-width spaces aside), and an email address is untouched', () => {
    expect(defuse(SUMMARY).replace(/\u200b/g, '')).toBe(SUMMARY);
    expect(defuse(SUMMARY)).toContain('dev@example.com');
  });

  it('is idempotent on generated hostile text', () => {
    const parts = ['@x', 'Fixes #9', ' ', '\n', '[skip ci]', '<!--', '::', '##[', 'closes:', ' acme/r#2', 'word', '`', 'skip-checks: true', '-->'];
    let seed = 7;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let i = 0; i < 500; i++) {
      const text = Array.from({ length: 12 }, () => parts[Math.floor(next() * parts.length)]).join('');
      const once = defuse(text);
      expect(defuse(once)).toBe(once);
      expect(effects(once)).toEqual([]);
    }
  });
});

/** The CommonMark rule: a fenced block ends at the first line of at least as many backticks as it opened with. */
function closesEarly(block: string): boolean {
  const lines = block.split('\n');
  const fence = /^`{3,}/.exec(lines[0])?.[0].length ?? 3;
  return lines.slice(1, -1).some((l) => new RegExp(`^ {0,3}\`{${fence},}\\s*$`).test(l));
}

describe('test output in a fence it cannot close', () => {
  it.each([
    ['a closing fence', 'FAIL\n```\n@admin Fixes #1 <!-- hidden -->\n![x](https://evil.example/p.png)'],
    ['a longer fence', '````\nout\n`````'],
    ['an indented fence', '   ```\nafter'],
    ['a fence with trailing spaces', '```   \nafter'],
    ['ten backticks', '``````````'],
    ['a tilde fence (cannot close a backtick fence anyway)', '~~~\nafter'],
    ['no backticks at all', 'plain output\nline 2'],
  ])('%s', (_name, output) => {
    const block = codeBlock(output);
    expect(closesEarly(block)).toBe(false);
    expect(block).toContain(output);
  });

  it('the PR body: the only live closing keyword is taskcap\'s own, nothing after the fence comes from the output', () => {
    const report: RunOutcome = {
      ...emptyOutcome('completed'),
      className: 'fix',
      summary: defuse('Done. Fixes #77 and @admin'),
      tests: { command: 'npm test', passed: false, exitCode: 1, timedOut: false, outputTail: 'FAIL\n```\nFixes #88 @admin [skip ci]\n<!-- hide -->\n::error::x\n```\nmore', durationMs: 1 },
    };
    const body = renderPullBody(report, { key: 'issue-5', fixes: 5, actor: 'octocat' });
    const [before, fenced, after] = splitAtFence(body);
    expect(closesEarly(fenced)).toBe(false);
    expect(fenced.replace(/\u200b/g, '')).toContain('Fixes #88 @admin [skip ci]');
    expect(effects(fenced.split('\n').slice(1, -1).join('\n'))).toEqual([]);
    expect(effects(before).filter((e) => e !== 'closing keyword' && e !== 'mention')).toEqual([]);
    expect(before.match(/\bfixes\s+#\d+/gi)).toEqual(['Fixes #5']);
    expect(after).not.toMatch(/Fixes #88|@admin|::error/);
    expect(after).toContain('asked by @octocat');
  });

  it('the partial-work reason in the PR body is defused', () => {
    const report: RunOutcome = { ...emptyOutcome('failed', 'notes/@admin Fixes #3 [skip ci].md contained a secret'), className: 'fix', summary: 'x' };
    const body = renderPullBody(report, { key: 'issue-5', fixes: 5 });
    expect(body.match(/\bfixes\s+#\d+/gi)).toEqual(['Fixes #5']);
    expect(effects(body.replace('Fixes #5', '')).filter((e) => e !== 'html comment')).toEqual([]);
  });
});

/** Text before the first fence, the fenced block, and the text after it. */
function splitAtFence(body: string): [string, string, string] {
  const open = /^`{3,}$/m.exec(body);
  if (!open) return [body, '', ''];
  const start = open.index;
  const fence = open[0];
  const close = body.indexOf(`\n${fence}\n`, start + fence.length);
  const end = close < 0 ? body.length : close + fence.length + 1;
  return [body.slice(0, start), body.slice(start, end), body.slice(end)];
}
