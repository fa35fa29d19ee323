import { formatInt } from '../util/format.js';
import type { CommitFiles } from './tree.js';

/** The files maintainers write for coding agents, read when the config does not name others. */
export const DEFAULT_INSTRUCTION_FILES: readonly string[] = ['AGENTS.md', 'CLAUDE.md', '.github/copilot-instructions.md'];

/**
 * Bytes of instructions the model gets at most, all files together (so at most as many tokens; about a quarter of
 * that on English text). Each file gets what the ones before it left; the excess is cut at a line with a marker.
 */
export const INSTRUCTIONS_CAP_BYTES = 12_000;
/** Nested instruction files listed by path, at most. */
const NESTED_SHOWN = 30;

export interface InstructionFile {
  path: string;
  bytes: number;
  /** Bytes left out by the cap. */
  cutBytes: number;
}

export interface Instructions {
  /** The files' text, each under its path; empty when there are none. */
  text: string;
  files: InstructionFile[];
  /** Instruction files deeper in the tree (same names, other folders), by path. */
  nested: string[];
}

/**
 * `text` cut to at most `bytes` UTF-8 bytes: at a line boundary, or within a long line at a space, so no more than
 * half the room is lost to the cut.
 */
export function headOf(text: string, bytes: number): string {
  const buf = Buffer.from(text, 'utf8');
  if (buf.length <= bytes) return text;
  let head = buf.subarray(0, Math.max(0, bytes)).toString('utf8');
  if (head.endsWith('\uFFFD')) head = head.slice(0, -1); // a code point cut in two
  const half = head.length / 2;
  const lastBreak = head.lastIndexOf('\n');
  if (lastBreak >= half) return head.slice(0, lastBreak + 1);
  const lastSpace = head.lastIndexOf(' ');
  return lastSpace >= half ? head.slice(0, lastSpace) : head;
}

/**
 * The maintainers' instructions at the context commit: each configured file that exists there, in the configured
 * order, within INSTRUCTIONS_CAP_BYTES; and the paths of same-named files elsewhere in the tree.
 */
export async function readInstructions(files: CommitFiles, paths: readonly string[], capBytes = INSTRUCTIONS_CAP_BYTES): Promise<Instructions> {
  const parts: string[] = [];
  const read: InstructionFile[] = [];
  let left = capBytes;
  for (const path of paths) {
    const content = await files.read(path);
    if (content === undefined || content.trim() === '') continue;
    const body = content.replace(/\s+$/, '');
    const size = Buffer.byteLength(body, 'utf8');
    const shown = headOf(body, left).replace(/\s+$/, '');
    const cut = size - Buffer.byteLength(shown, 'utf8');
    const marker = cut > 0 ? `\n[… ${formatInt(cut)} more bytes of ${path} not shown (taskcap's limit for instructions); read the file for the rest]` : '';
    parts.push(`## ${path}\n${shown}${marker}`);
    read.push({ path, bytes: size, cutBytes: cut });
    left -= Buffer.byteLength(shown, 'utf8');
  }
  const names = new Set(paths.map((p) => p.split('/').pop()!.toLowerCase()));
  const configured = new Set(paths);
  const nested = files.files
    .filter((f) => !configured.has(f.path) && f.path.includes('/') && names.has(f.path.split('/').pop()!.toLowerCase()) && f.mode !== '160000')
    .map((f) => f.path);
  return { text: parts.join('\n\n'), files: read, nested };
}

/** The nested files as a short list for the map (the first NESTED_SHOWN, then how many more). */
export function nestedList(nested: readonly string[]): string[] {
  const shown = nested.slice(0, NESTED_SHOWN);
  const more = nested.length - shown.length;
  return [...shown, ...(more > 0 ? [`… and ${formatInt(more)} more`] : [])];
}
