import fs from 'node:fs';
import type { ObjectFormat } from './loose-objects.js';

/**
 * The stat data git keeps in `.git/index`, read only as a hint: a tracked file whose size, times, inode and mode
 * still match what the index recorded is known to hold the blob the index names, so taskcap need not read it
 * again (100,000 unchanged files cost one `lstat` each, as for `git add`). The hint is used only when that blob
 * is also the one in the starting commit, so a tampered index can at worst hide a change, never add one.
 * Anything unexpected (another index version, a split index, a truncated file) means no hints, never an error.
 */
export interface StatEntry {
  oid: string;
  mode: number;
  ctime: [number, number];
  mtime: [number, number];
  ino: number;
  size: number;
}

export interface StatCache {
  get(path: string): StatEntry | undefined;
  /** Whether `st` (an lstat with bigint times) matches the entry and the entry is not racily clean. */
  unchanged(entry: StatEntry, st: fs.BigIntStats): boolean;
}

export const NO_STAT_CACHE: StatCache = { get: () => undefined, unchanged: () => false };

const u32 = (n: bigint) => Number(n & 0xffffffffn);
const split = (ns: bigint): [number, number] => [u32(ns / 1_000_000_000n), Number(ns % 1_000_000_000n)];
/** The mode git records for what `lstat` saw: a link, or a file with or without the owner's execute bit. */
export const gitMode = (mode: number): number => ((mode & 0o170000) === 0o120000 ? 0o120000 : mode & 0o100 ? 0o100755 : 0o100644);
const notBefore = (a: [number, number], b: [number, number]) => a[0] > b[0] || (a[0] === b[0] && a[1] >= b[1]);

/** Read the index at `file` (versions 2 and 3). */
export function readStatCache(file: string, format: ObjectFormat): StatCache {
  let buf: Buffer;
  let indexMtime: [number, number];
  try {
    const st = fs.statSync(file, { bigint: true });
    if (!st.isFile() || st.size > 512n * 1024n * 1024n) return NO_STAT_CACHE;
    buf = fs.readFileSync(file);
    indexMtime = split(st.mtimeNs);
  } catch {
    return NO_STAT_CACHE;
  }
  const entries = parse(buf, format === 'sha1' ? 20 : 32);
  if (!entries) return NO_STAT_CACHE;
  return {
    get: (p) => entries.get(p),
    unchanged(e, st) {
      const mtime = split(st.mtimeNs);
      // Racily clean: written in the same instant as the index (or later), its stat data proves nothing.
      if (notBefore(e.mtime, indexMtime)) return false;
      const ctime = split(st.ctimeNs);
      return (
        mtime[0] === e.mtime[0] &&
        mtime[1] === e.mtime[1] &&
        ctime[0] === e.ctime[0] &&
        ctime[1] === e.ctime[1] &&
        u32(st.ino) === e.ino &&
        u32(st.size) === e.size &&
        gitMode(Number(st.mode)) === e.mode
      );
    },
  };
}

function parse(buf: Buffer, hashLen: number): Map<string, StatEntry> | undefined {
  if (buf.length < 12 || buf.toString('latin1', 0, 4) !== 'DIRC') return undefined;
  const version = buf.readUInt32BE(4);
  if (version !== 2 && version !== 3) return undefined;
  const count = buf.readUInt32BE(8);
  const entries = new Map<string, StatEntry>();
  let at = 12;
  for (let i = 0; i < count; i++) {
    const fixed = 40 + hashLen + 2;
    if (at + fixed > buf.length) return undefined;
    const flags = buf.readUInt16BE(at + 40 + hashLen);
    const extended = (flags & 0x4000) !== 0;
    if (extended && version < 3) return undefined;
    const nameStart = at + fixed + (extended ? 2 : 0);
    const nameEnd = buf.indexOf(0, nameStart);
    if (nameEnd < 0) return undefined;
    const stage = (flags >> 12) & 0x3;
    const entry: StatEntry = {
      ctime: [buf.readUInt32BE(at), buf.readUInt32BE(at + 4)],
      mtime: [buf.readUInt32BE(at + 8), buf.readUInt32BE(at + 12)],
      ino: buf.readUInt32BE(at + 20),
      mode: buf.readUInt32BE(at + 24),
      size: buf.readUInt32BE(at + 36),
      oid: buf.toString('hex', at + 40, at + 40 + hashLen),
    };
    // Conflicted or skip-worktree entries say nothing about the file on disk.
    const skipWorktree = extended && (buf.readUInt16BE(at + fixed) & 0x4000) !== 0;
    if (stage === 0 && !skipWorktree) entries.set(buf.toString('utf8', nameStart, nameEnd), entry);
    // Entries are padded with 1 to 8 NULs to a multiple of 8 bytes.
    at += ((nameEnd - at + 8) & ~7);
  }
  return entries;
}
