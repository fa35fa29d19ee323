import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';

/** The hash a repository names its objects with (`git rev-parse --show-object-format`). */
export type ObjectFormat = 'sha1' | 'sha256';

export const NULL_OID = (format: ObjectFormat) => '0'.repeat(format === 'sha1' ? 40 : 64);

/** The object id git gives `content` stored as a blob. */
export function blobId(content: Buffer, format: ObjectFormat): string {
  return crypto.createHash(format).update(`blob ${content.length}\0`).update(content).digest('hex');
}

/**
 * Store `content` as a loose blob in `objectsDir` and return its id. taskcap writes the blobs of a patch itself
 * (instead of `git add` or `git hash-object <path>`): no attribute, filter, submodule or config of the workspace
 * is consulted, and the bytes stored are exactly the bytes taskcap read and checked. The object is written to a
 * temporary file and renamed, as git does, so a reader never sees half of it.
 */
export function writeBlob(objectsDir: string, content: Buffer, format: ObjectFormat): string {
  const id = blobId(content, format);
  const dir = path.join(objectsDir, id.slice(0, 2));
  const file = path.join(dir, id.slice(2));
  if (fs.existsSync(file)) return id;
  fs.mkdirSync(dir, { recursive: true });
  const tmp = path.join(dir, `tmp_obj_${process.pid}_${crypto.randomBytes(6).toString('hex')}`);
  fs.writeFileSync(tmp, zlib.deflateSync(Buffer.concat([Buffer.from(`blob ${content.length}\0`), content])), { mode: 0o444 });
  fs.renameSync(tmp, file);
  return id;
}
