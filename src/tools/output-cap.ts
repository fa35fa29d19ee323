import { formatInt } from '../util/format.js';

/**
 * Keeping tool output small: every result the model sees costs tokens once in the budget and again (cached) on
 * every later request. Long output keeps its head and tail with a marker that says how much was left out, so
 * the model knows to narrow its command instead of re-running it.
 */

const MARKER_ROOM = 96;

const omittedMarker = (omitted: number, total: number): string =>
  `\n… ${formatInt(omitted)} bytes omitted (output was ${formatInt(total)} bytes) …\n`;

/** Cut a buffer at `max` bytes without splitting a UTF-8 sequence (at the end, or at the start when `fromEnd`). */
function cutUtf8(buf: Buffer, max: number, fromEnd = false): Buffer {
  if (buf.length <= max) return buf;
  if (!fromEnd) {
    let end = max;
    while (end > 0 && (buf[end] & 0xc0) === 0x80) end--;
    return buf.subarray(0, end);
  }
  let start = buf.length - max;
  while (start < buf.length && (buf[start] & 0xc0) === 0x80) start++;
  return buf.subarray(start);
}

/** Head/tail split of a byte allowance: the head shows what started, the tail the errors and the summary. */
function split(maxBytes: number): { head: number; tail: number } {
  const room = Math.max(0, maxBytes - MARKER_ROOM);
  const head = Math.floor(room * 0.4);
  return { head, tail: room - head };
}

/** Cap a string at `maxBytes` UTF-8 bytes (marker included). */
export function capText(text: string, maxBytes: number): string {
  const buf = Buffer.from(text, 'utf8');
  if (buf.length <= maxBytes) return text;
  const { head, tail } = split(maxBytes);
  const h = cutUtf8(buf, head);
  const t = cutUtf8(buf, tail, true);
  return h.toString('utf8') + omittedMarker(buf.length - h.length - t.length, buf.length) + t.toString('utf8');
}

/**
 * Collects a stream's bytes with bounded memory: the first `head` bytes and a ring of the last `tail` bytes.
 * A 100 MB output costs the same few kilobytes as a 10 KB one and never sits in memory whole.
 */
export class CappedCollector {
  private readonly headBuf: Buffer;
  private headLen = 0;
  private readonly ring: Buffer;
  private ringPos = 0;
  private ringFilled = false;
  total = 0;

  constructor(readonly maxBytes: number) {
    const { head, tail } = split(maxBytes);
    this.headBuf = Buffer.alloc(head);
    this.ring = Buffer.alloc(Math.max(1, tail));
  }

  push(chunk: Buffer): void {
    this.total += chunk.length;
    let offset = 0;
    if (this.headLen < this.headBuf.length) {
      const n = Math.min(chunk.length, this.headBuf.length - this.headLen);
      chunk.copy(this.headBuf, this.headLen, 0, n);
      this.headLen += n;
      offset = n;
    }
    // Only the last ring.length bytes of what remains can survive in the ring.
    if (chunk.length - offset > this.ring.length) offset = chunk.length - this.ring.length;
    while (offset < chunk.length) {
      const n = Math.min(chunk.length - offset, this.ring.length - this.ringPos);
      chunk.copy(this.ring, this.ringPos, offset, offset + n);
      this.ringPos += n;
      offset += n;
      if (this.ringPos === this.ring.length) {
        this.ringPos = 0;
        this.ringFilled = true;
      }
    }
  }

  /** The collected output as text (lossy UTF-8), with the omission marker when bytes were dropped. */
  text(): string {
    const tail = this.ringFilled
      ? Buffer.concat([this.ring.subarray(this.ringPos), this.ring.subarray(0, this.ringPos)])
      : this.ring.subarray(0, this.ringPos);
    const head = this.headBuf.subarray(0, this.headLen);
    const kept = head.length + tail.length;
    if (kept >= this.total) return Buffer.concat([head, tail]).toString('utf8');
    const h = cutUtf8(head, head.length);
    const t = cutUtf8(tail, tail.length, true);
    return h.toString('utf8') + omittedMarker(this.total - h.length - t.length, this.total) + t.toString('utf8');
  }
}

// CSI/OSC/other escape sequences: colours and cursor moves are noise to the model and cost tokens.
// eslint-disable-next-line no-control-regex
const ANSI = /\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[@-Z\\-_])/g;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/g;

/** Terminal output as plain text: escapes removed, carriage-return redraws collapsed, control bytes dropped. */
export function plainTerminalText(text: string): string {
  return text
    .replace(ANSI, '')
    .split('\n')
    .map((line) => {
      const trimmed = line.endsWith('\r') ? line.slice(0, -1) : line;
      const i = trimmed.lastIndexOf('\r');
      return i >= 0 ? trimmed.slice(i + 1) : trimmed;
    })
    .join('\n')
    .replace(CONTROL, '');
}
