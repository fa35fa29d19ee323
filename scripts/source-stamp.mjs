// The fingerprint of everything the bundle is built from (src/, the lockfile, package.json, tsconfig.json), kept
// in dist/source-stamp.txt. `check-dist --quick` compares it in milliseconds: a src/ change without a rebuild is
// caught by `npm test`; CI's full check rebuilds and compares every byte.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export const STAMP_FILE = 'source-stamp.txt';

/** @param {string} root */
export function sourceStamp(root) {
  const files = [
    ...fs.readdirSync(path.join(root, 'src'), { recursive: true }).map((f) => path.join('src', String(f))),
    'package.json',
    'package-lock.json',
    'tsconfig.json',
  ]
    .filter((f) => fs.statSync(path.join(root, f)).isFile())
    .map((f) => f.split(path.sep).join('/'))
    .sort();
  const hash = crypto.createHash('sha256');
  for (const f of files) hash.update(`${f}\0`).update(fs.readFileSync(path.join(root, f))).update('\0');
  return `${hash.digest('hex')}\n`;
}

if (process.argv[2] === '--write') {
  const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
  fs.writeFileSync(path.join(process.argv[3] ?? path.join(root, 'dist'), STAMP_FILE), sourceStamp(root));
}
