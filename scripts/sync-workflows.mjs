// taskcap's own workflows on this repository are the copyable examples, run from this checkout: one source of
// truth. `node scripts/sync-workflows.mjs` writes .github/workflows/taskcap-*.yml from examples/workflows/; the
// workflows test fails when they differ. Edit the example, never the generated file (a Dependabot bump of a
// generated file is ported to its example, then synced).
//
// The only differences, each for a reason of this repository:
// - `uses: ./` instead of `taskcap/taskcap@v1`: the action in this checkout runs on its own issues;
// - Node and `npm ci` before taskcap: the agent's commands run without network, so the dev dependencies its tests
//   need are installed first;
// - a test command that fits taskcap's 10-minute test limit inside the sandbox (typecheck and unit tests);
// - only the workflows people start (labels, comments, reviews): no schedule that would spend on its own.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const EXAMPLES = path.join(ROOT, 'examples', 'workflows');
export const OWN = path.join(ROOT, '.github', 'workflows');

/** The examples this repository runs on itself. */
export const OWN_EXAMPLES = ['taskcap-issues.yml', 'taskcap-pull-requests.yml', 'taskcap-comments.yml', 'taskcap-reviews.yml'];

const HEADER = (file) =>
  `# Generated from examples/workflows/${file} by scripts/sync-workflows.mjs: edit the example, then run\n# \`npm run sync-workflows\`. taskcap runs from this checkout (uses: ./) on this repository's own issues.\n`;

const SETUP = [
  "      # The agent's commands run without network: install the dev dependencies its tests need first.",
  '      - uses: actions/setup-node@v6',
  '        with:',
  '          node-version-file: .nvmrc',
  '          cache: npm',
  '      - run: npm ci --ignore-scripts --no-audit --no-fund',
].join('\n');

/** The workflow this repository runs, made from the example's text. Throws when the example no longer has a part it changes. */
export function ownWorkflow(file, example) {
  const replace = (text, from, to) => {
    if (!text.includes(from)) throw new Error(`examples/workflows/${file} has no '${from.trim()}' to replace: update scripts/sync-workflows.mjs`);
    return text.split(from).join(to);
  };
  let text = replace(example, '      - uses: taskcap/taskcap@v1\n', `${SETUP}\n      - uses: ./\n`);
  if (text.includes('test-command: npm test')) text = replace(text, 'test-command: npm test', 'test-command: npm run typecheck && npm run jest -- __tests__/unit');
  return HEADER(file) + text;
}

/** Every generated file and the text it must have. */
export function expectedOwnWorkflows() {
  return OWN_EXAMPLES.map((file) => ({ file: path.join(OWN, file), text: ownWorkflow(file, fs.readFileSync(path.join(EXAMPLES, file), 'utf8')) }));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  for (const { file, text } of expectedOwnWorkflows()) {
    fs.writeFileSync(file, text);
    console.log(`wrote ${path.relative(ROOT, file)}`);
  }
}
