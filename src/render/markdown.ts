import { formatUsd } from '../util/format.js';
import { trailingBlockStart } from '../records/history.js';

/** Markdown for GitHub: money, fitting under the comment limit, and untrusted text that renders as itself. */

/** GitHub rejects comment bodies above 65,536 characters. */
export const COMMENT_LIMIT = 65_536;

/**
 * Dollars with 4 decimals and en-US thousands separators: `$0.1234`, `$1,465.7500`. Same digits as formatUsd (the
 * outputs and e2e checks use it), separators added for the totals of long histories and ledgers.
 */
export function formatMoney(n: number): string {
  const [whole, fraction] = formatUsd(Math.abs(n)).slice(1).split('.');
  return `${n < 0 ? '-' : ''}$${whole.replace(/\B(?=(\d{3})+$)/g, ',')}.${fraction}`;
}

// ---------------------------------------------------------------------------------------------------------------
// Fitting under GitHub's limit

const TRUNCATION_NOTE = '\n\n… (truncated by taskcap to fit GitHub’s comment limit)';
/** Room for the closing fence and `</details>` that `closeOpenBlocks` may add. */
const CLOSER_RESERVE = '\n```\n</details>'.length;

/**
 * Keep any comment under GitHub's limit, cutting from the end with a note. A trailing history block is kept whole
 * (it carries the totals of earlier runs); the cut is made at a line break, and an open code fence or `<details>`
 * is closed so the note and the block are not swallowed by it.
 */
export function fitComment(body: string, limit = COMMENT_LIMIT): string {
  if (body.length <= limit) return body;
  const blockStart = trailingBlockStart(body);
  const tail = blockStart >= 0 ? `\n\n${body.slice(blockStart).trimEnd()}` : '';
  const keepTail = tail.length > 0 && tail.length < limit / 2;
  const head = keepTail ? body.slice(0, blockStart) : body;
  const room = limit - TRUNCATION_NOTE.length - CLOSER_RESERVE - (keepTail ? tail.length : 0);
  let cut = head.slice(0, Math.max(0, room));
  const lastBreak = cut.lastIndexOf('\n');
  if (lastBreak > room / 2) cut = cut.slice(0, lastBreak);
  cut = cut.replace(/[\uD800-\uDBFF]$/, ''); // never leave half a surrogate pair
  return cut + closeOpenBlocks(cut) + TRUNCATION_NOTE + (keepTail ? tail : '');
}

/** The markup that closes a fenced block and `<details>` left open by a cut. */
function closeOpenBlocks(text: string): string {
  let out = '';
  if ((text.match(/^```/gm)?.length ?? 0) % 2 === 1) out += '\n```';
  const open = (text.match(/<details>/g)?.length ?? 0) - (text.match(/<\/details>/g)?.length ?? 0);
  if (open > 0) out += '\n</details>'.repeat(Math.min(open, 1));
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Untrusted text → markdown

/** Control and invisible formatting characters (bidi overrides, zero-width joiners): never worth rendering. */
const INVISIBLE = /[\p{Cc}\p{Cf}\u2028\u2029]/gu;

/** One line of at most `max` characters (an ellipsis marks a cut). */
export function oneLine(text: string, max: number): string {
  const flat = String(text).replace(INVISIBLE, ' ').replace(/\s+/g, ' ').trim();
  if (flat.length <= max) return flat;
  return `${[...flat].slice(0, Math.max(0, max - 1)).join('').trimEnd()}…`;
}

/**
 * Text that renders as itself: one line, no HTML (so no comment markers and no hidden blocks), no links or images,
 * no table-breaking pipes.
 */
export function plainText(text: string, max: number): string {
  return oneLine(text, max)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/([[\]|\\!])/g, '\\$1');
}

/**
 * Inline code that cannot break out: no backticks (which would end the span), no line breaks, capped. Inside a
 * code span `<!--` and `@name` render as text. Not for table cells (a `|` would split the cell). Empty input gives ''.
 */
export function inlineCode(text: string, max: number): string {
  const flat = oneLine(String(text).replace(/`/g, "'"), max);
  return flat ? `\`${flat}\`` : '';
}

/** An http(s) URL without characters that could end a markdown link, or undefined. */
export function safeUrl(url: string | undefined): string | undefined {
  return url && /^https?:\/\/[^\s()<>"'`\\]+$/.test(url) ? url : undefined;
}
