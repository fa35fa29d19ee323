import fs from 'node:fs';
import path from 'node:path';
import { capText } from './output-cap.js';
import { ToolError, type WorkspacePaths } from './workspace-path.js';
import { formatInt } from '../util/format.js';

/** Files larger than this are not loaded by the editor; bash (`sed -n`, `grep -n`) reads them in pieces. */
export const MAX_EDITOR_FILE_BYTES = 4 * 1024 * 1024;
const MAX_LISTING_ENTRIES = 300;
const SNIPPET_CONTEXT = 3;

export interface EditorResult {
  text: string;
  /** Repo-relative path the command touched (for the run record and progress line). */
  path?: string;
  changed: boolean;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** Number lines the way `cat -n` does; Claude's editor tool is trained on this shape. */
function numbered(lines: readonly string[], first: number): string {
  return lines.map((l, i) => `${String(first + i).padStart(6)}\t${l}`).join('\n');
}

function splitLines(content: string): string[] {
  const lines = content.split('\n');
  if (lines.length > 1 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** Anthropic's text editor client tool (`text_editor_20250728`), executed inside the workspace. */
export class Editor {
  constructor(private readonly paths: WorkspacePaths) {}

  run(input: Record<string, unknown>, capBytes: number): EditorResult {
    switch (input.command) {
      case 'view':
        return this.view(input, capBytes);
      case 'create':
        return this.create(input);
      case 'str_replace':
        return this.strReplace(input, capBytes);
      case 'insert':
        return this.insert(input, capBytes);
      case 'undo_edit':
        throw new ToolError('undo_edit is not supported; use str_replace to revert a change.');
      default:
        throw new ToolError(`Unknown command ${JSON.stringify(input.command)}; use view, create, str_replace or insert.`);
    }
  }

  private view(input: Record<string, unknown>, capBytes: number): EditorResult {
    const { abs, rel } = this.paths.resolve(input.path, 'read');
    let st: fs.Stats;
    try {
      st = fs.statSync(abs);
    } catch {
      throw new ToolError(`${rel || '.'} does not exist.`);
    }
    if (st.isDirectory()) {
      this.assertDirectoryInside(abs, rel);
      return { text: capText(this.listing(abs, rel), capBytes), path: rel, changed: false };
    }
    const content = this.readText(abs, rel);
    const lines = splitLines(content);
    let first = 1;
    let last = lines.length;
    if (input.view_range !== undefined) {
      const r = input.view_range;
      if (!Array.isArray(r) || r.length !== 2 || !r.every((x) => Number.isInteger(x))) {
        throw new ToolError('`view_range` must be [start, end] with 1-based line numbers (end -1 = end of file).');
      }
      first = r[0] as number;
      last = r[1] === -1 ? lines.length : (r[1] as number);
      if (first < 1 || first > Math.max(1, lines.length) || last < first || last > lines.length) {
        throw new ToolError(`\`view_range\` [${r.join(', ')}] is outside the file's ${lines.length} lines.`);
      }
    }
    const body = numbered(lines.slice(first - 1, last), first);
    return { text: capText(body, capBytes), path: rel, changed: false };
  }

  private create(input: Record<string, unknown>): EditorResult {
    if (typeof input.file_text !== 'string') throw new ToolError('`file_text` is required for create.');
    const { abs, rel } = this.paths.resolve(input.path, 'write');
    const existed = fs.existsSync(abs);
    if (existed && !fs.lstatSync(abs).isFile()) throw new ToolError(`${rel} exists and is not a regular file.`);
    fs.mkdirSync(path.dirname(abs), { recursive: true });
    this.write(abs, rel, input.file_text);
    return { text: `${existed ? 'Overwrote' : 'Created'} ${rel}.`, path: rel, changed: true };
  }

  private strReplace(input: Record<string, unknown>, capBytes: number): EditorResult {
    if (typeof input.old_str !== 'string' || input.old_str === '') throw new ToolError('`old_str` must be a non-empty string.');
    if (input.new_str !== undefined && typeof input.new_str !== 'string') throw new ToolError('`new_str` must be a string.');
    const { abs, rel } = this.paths.resolve(input.path, 'write');
    const content = this.readText(abs, rel);
    const crlf = content.includes('\r\n');
    // A CRLF file edited with LF strings: match the file's own line endings.
    const adapt = (s: string) => (crlf && !s.includes('\r') ? s.replace(/\n/g, '\r\n') : s);
    const oldStr = adapt(input.old_str);
    const newStr = adapt((input.new_str as string | undefined) ?? '');
    const at: number[] = [];
    for (let i = content.indexOf(oldStr); i >= 0; i = content.indexOf(oldStr, i + oldStr.length)) at.push(i);
    if (at.length === 0) throw new ToolError(`No replacement was performed: old_str does not appear verbatim in ${rel}.`);
    if (at.length > 1) {
      const lineOf = (i: number) => content.slice(0, i).split('\n').length;
      throw new ToolError(
        `No replacement was performed: old_str appears ${at.length} times in ${rel} (lines ${at.map(lineOf).join(', ')}); make it unique.`,
      );
    }
    const updated = content.slice(0, at[0]) + newStr + content.slice(at[0] + oldStr.length);
    this.write(abs, rel, updated);
    const startLine = content.slice(0, at[0]).split('\n').length;
    return { text: capText(this.snippet(rel, updated, startLine, newStr.split('\n').length), capBytes), path: rel, changed: true };
  }

  private insert(input: Record<string, unknown>, capBytes: number): EditorResult {
    const text = input.insert_text ?? input.new_str;
    if (typeof text !== 'string') throw new ToolError('`insert_text` is required for insert.');
    if (!Number.isInteger(input.insert_line)) throw new ToolError('`insert_line` must be an integer (0 inserts at the top).');
    const { abs, rel } = this.paths.resolve(input.path, 'write');
    const content = this.readText(abs, rel);
    const lines = splitLines(content);
    const at = input.insert_line as number;
    if (at < 0 || at > lines.length) throw new ToolError(`\`insert_line\` ${at} is outside 0..${lines.length} for ${rel}.`);
    const eol = content.includes('\r\n') ? '\r\n' : '\n';
    const inserted = splitLines(text.replace(/\r?\n/g, '\n')).map((l) => (eol === '\r\n' ? `${l}\r` : l));
    const body = [...lines.slice(0, at), ...inserted, ...lines.slice(at)];
    const updated = body.join('\n') + (content.endsWith('\n') || content === '' ? '\n' : '');
    this.write(abs, rel, updated);
    return { text: capText(this.snippet(rel, updated, at + 1, inserted.length), capBytes), path: rel, changed: true };
  }

  /** A directory is listed only when the one actually opened is inside the workspace (as files are re-checked). */
  private assertDirectoryInside(abs: string, rel: string): void {
    let fd: number;
    try {
      fd = fs.openSync(abs, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
    } catch (e) {
      throw new ToolError(`${rel || '.'} cannot be listed (${(e as NodeJS.ErrnoException).code ?? 'error'}).`);
    }
    try {
      this.paths.assertOpenedInside(fd, rel || '.');
    } finally {
      fs.closeSync(fd);
    }
  }

  /** A few numbered lines around an edit so the model can check it without another view. */
  private snippet(rel: string, content: string, line: number, count: number): string {
    const lines = splitLines(content);
    const from = Math.max(1, line - SNIPPET_CONTEXT);
    const to = Math.min(lines.length, line + count - 1 + SNIPPET_CONTEXT);
    return `Edited ${rel}. Lines ${from}-${to} now read:\n${numbered(lines.slice(from - 1, to), from)}`;
  }

  private listing(abs: string, rel: string): string {
    const out: string[] = [];
    let more = 0;
    const walk = (dir: string, depth: number) => {
      let entries: fs.Dirent[];
      try {
        entries = fs.readdirSync(dir, { withFileTypes: true });
      } catch {
        return;
      }
      entries.sort((a, b) => a.name.localeCompare(b.name));
      for (const e of entries) {
        if (e.name.startsWith('.') || e.name === 'node_modules') continue;
        if (out.length >= MAX_LISTING_ENTRIES) {
          more++;
          continue;
        }
        const child = path.join(dir, e.name);
        const shown = path.relative(this.paths.root, child).split(path.sep).join('/');
        out.push(e.isDirectory() ? `${shown}/` : shown);
        if (e.isDirectory() && depth < 2) walk(child, depth + 1);
      }
    };
    walk(abs, 1);
    const head = `Files and directories in ${rel || '.'} (2 levels, hidden and node_modules skipped):`;
    return [head, ...out, ...(more > 0 ? [`… and ${formatInt(more)} more entries`] : [])].join('\n');
  }

  /**
   * Read a text file safely: size-capped, binary and non-UTF-8 refused, opened without following a final link and
   * without blocking (a FIFO planted by a command would otherwise hang the action on open).
   */
  private readText(abs: string, rel: string): string {
    let fd: number;
    try {
      fd = fs.openSync(abs, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') throw new ToolError(`${rel} does not exist.`);
      if (code === 'ELOOP') throw new ToolError(`${rel} is a symbolic link; view its target instead.`);
      throw new ToolError(`${rel} cannot be read (${code}).`);
    }
    try {
      this.paths.assertOpenedInside(fd, rel);
      const opened = fs.fstatSync(fd);
      if (!opened.isFile()) throw new ToolError(`${rel} is not a regular file (a FIFO, socket or device); not read.`);
      const st = opened; // the file actually opened, not what was stat'ed before
      // A hard link can alias a file outside the workspace; git never creates them in a checkout.
      if (fs.fstatSync(fd).nlink > 1) throw new ToolError(`${rel} is a hard link to another file; refused.`);
      if (st.size > MAX_EDITOR_FILE_BYTES) {
        throw new ToolError(
          `${rel} is ${formatInt(st.size)} bytes, over the editor's ${MAX_EDITOR_FILE_BYTES / 1024 / 1024} MB limit; read parts of it with bash (sed -n, grep -n, head).`,
        );
      }
      const buf = Buffer.alloc(st.size);
      let read = 0;
      while (read < buf.length) {
        const n = fs.readSync(fd, buf, read, buf.length - read, read);
        if (n === 0) break;
        read += n;
      }
      const bytes = buf.subarray(0, read);
      if (bytes.subarray(0, 8192).includes(0)) throw new ToolError(`${rel} is a binary file (${read} bytes); not shown.`);
      try {
        return strictUtf8.decode(bytes);
      } catch {
        throw new ToolError(`${rel} is not valid UTF-8 text (binary or another encoding); not shown. Inspect it with bash (file, iconv, xxd | head).`);
      }
    } finally {
      fs.closeSync(fd);
    }
  }

  private write(abs: string, rel: string, content: string): void {
    let mode = 0o644;
    try {
      mode = fs.lstatSync(abs).mode & 0o777;
    } catch {
      /* new file */
    }
    // Truncate only after the opened file is known to be inside the workspace; never block on a FIFO.
    let fd: number;
    try {
      fd = fs.openSync(abs, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK, mode);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ELOOP') throw new ToolError(`${rel} is a symbolic link; writes never follow links.`);
      throw new ToolError(`${rel} cannot be written (${code ?? 'error'}).`);
    }
    try {
      this.paths.assertOpenedInside(fd, rel);
      if (!fs.fstatSync(fd).isFile()) throw new ToolError(`${rel} is not a regular file; not written.`);
      if (fs.fstatSync(fd).nlink > 1) throw new ToolError(`${rel} is a hard link to another file; refused.`);
      fs.ftruncateSync(fd, 0);
      fs.writeSync(fd, content);
    } finally {
      fs.closeSync(fd);
    }
  }
}
