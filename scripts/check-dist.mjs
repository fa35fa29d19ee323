// Rebuild the bundle into a temp dir and compare it with the committed dist/: same files, same bytes.
// A stale dist/ means the action would run code that is not in src/, so this fails CI.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const out = fs.mkdtempSync(path.join(os.tmpdir(), 'taskcap-dist-'));
try {
  execFileSync('npx', ['ncc', 'build', 'src/index.ts', '-o', out, '--license', 'licenses.txt', '--quiet'], { cwd: root, stdio: 'inherit' });
  const list = (dir) => fs.readdirSync(dir, { recursive: true }).filter((f) => fs.statSync(path.join(dir, f)).isFile()).sort();
  const fresh = list(out);
  const committed = fs.existsSync(path.join(root, 'dist')) ? list(path.join(root, 'dist')) : [];
  const problems = [];
  for (const f of fresh) {
    if (!committed.includes(f)) problems.push(`missing from dist/: ${f}`);
    else if (!fs.readFileSync(path.join(out, f)).equals(fs.readFileSync(path.join(root, 'dist', f)))) problems.push(`differs: dist/${f}`);
  }
  for (const f of committed) if (!fresh.includes(f)) problems.push(`stale file in dist/: ${f}`);
  // Untracked or modified dist files would ship something CI never saw.
  const status = execFileSync('git', ['status', '--porcelain', '--', 'dist'], { cwd: root, encoding: 'utf8' }).trim();
  if (status) problems.push(`dist/ is not committed as built:\n${status}`);
  if (problems.length) {
    console.error(`dist/ does not match a fresh build of src/ (run \`npm run build\` and commit all of dist/):\n- ${problems.join('\n- ')}`);
    process.exit(1);
  }
  console.log(`dist/ matches a fresh build (${fresh.length} files).`);
} finally {
  fs.rmSync(out, { recursive: true, force: true });
}
