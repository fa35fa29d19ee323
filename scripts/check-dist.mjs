// dist/ must be what src/ builds to: the action runs dist/, not src/.
// Full (CI, `npm run test:complete`): rebuild into a temp dir and compare every file byte for byte.
// --quick (`npm test`): compare the source stamp the build wrote, so a change to src/ without a rebuild fails fast.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sourceStamp, STAMP_FILE } from './source-stamp.mjs';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const quick = process.argv.includes('--quick');
const problems = [];
const fix = 'run `npm run build` and commit all of dist/';

// Untracked or modified dist files would ship something CI never saw.
const status = execFileSync('git', ['status', '--porcelain', '--', 'dist'], { cwd: root, encoding: 'utf8' }).trim();
if (status) problems.push(`dist/ is not committed as built:\n${status}`);

if (quick) {
  const stampPath = path.join(root, 'dist', STAMP_FILE);
  const recorded = fs.existsSync(stampPath) ? fs.readFileSync(stampPath, 'utf8') : '';
  if (recorded !== sourceStamp(root)) problems.push(`dist/${STAMP_FILE} does not match src/, package.json, package-lock.json and tsconfig.json: dist/ was built from other sources`);
} else {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'taskcap-dist-'));
  try {
    execFileSync('npx', ['ncc', 'build', 'src/index.ts', '-o', out, '--license', 'licenses.txt', '--quiet'], { cwd: root, stdio: 'inherit' });
    fs.writeFileSync(path.join(out, STAMP_FILE), sourceStamp(root));
    const list = (dir) => fs.readdirSync(dir, { recursive: true }).filter((f) => fs.statSync(path.join(dir, f)).isFile()).sort();
    const fresh = list(out);
    const committed = fs.existsSync(path.join(root, 'dist')) ? list(path.join(root, 'dist')) : [];
    for (const f of fresh) {
      if (!committed.includes(f)) problems.push(`missing from dist/: ${f}`);
      else if (!fs.readFileSync(path.join(out, f)).equals(fs.readFileSync(path.join(root, 'dist', f)))) problems.push(`differs: dist/${f}`);
    }
    for (const f of committed) if (!fresh.includes(f)) problems.push(`stale file in dist/: ${f}`);
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
}
if (problems.length) {
  console.error(`dist/ does not match ${quick ? 'the sources' : 'a fresh build of src/'} (${fix}):\n- ${problems.join('\n- ')}`);
  process.exit(1);
}
console.log(quick ? `dist/ was built from the current sources (${STAMP_FILE}).` : 'dist/ matches a fresh build.');
