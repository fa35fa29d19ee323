/**
 * Untrusted text on its way into the prompt. Hidden channels are removed because the model reads them and a
 * human reviewer does not: HTML comments (also unterminated), invisible and format characters, the Unicode tag
 * block, bidi controls, variation selectors, private-use characters, image alt text and link titles. Entities are
 * decoded and the text stripped again, so `&#x200B;` cannot smuggle what the raw character could not.
 */

export const MAX_UNTRUSTED_CHARS = 20_000;

export interface Sanitized {
  text: string;
  /** Characters removed as hidden content (comments, invisible characters, alt/title text). */
  hiddenRemoved: number;
  truncated: boolean;
}

// Format (Cf) and private-use (Co) categories cover zero-width, bidi, tags and the BOM; variation selectors are Mn.
const INVISIBLE = /[\p{Cf}\p{Co}\u{FE00}-\u{FE0F}\u{E0100}-\u{E01EF}\u{115F}\u{1160}\u{3164}\u{FFA0}\u{180B}-\u{180F}]/gu;
// eslint-disable-next-line no-control-regex
const CONTROLS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/g;

const NAMED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0' };

function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);?/gi, (m, body: string) => {
    const lower = body.toLowerCase();
    if (lower.startsWith('#x')) return safeFromCodePoint(parseInt(lower.slice(2), 16), m);
    if (lower.startsWith('#')) return safeFromCodePoint(parseInt(lower.slice(1), 10), m);
    return NAMED[lower] ?? m;
  });
}

function safeFromCodePoint(cp: number, fallback: string): string {
  return Number.isInteger(cp) && cp >= 0 && cp <= 0x10ffff ? String.fromCodePoint(cp) : fallback;
}

function stripOnce(input: string): { text: string; removed: number } {
  let removed = 0;
  const drop = (re: RegExp, s: string, keep?: (...g: string[]) => string) =>
    s.replace(re, (...args: string[]) => {
      const replacement = keep ? keep(...args) : '';
      removed += args[0].length - replacement.length;
      return replacement;
    });
  let s = input;
  s = drop(/<!--[\s\S]*?(?:-->|$)/g, s); // unterminated comments run to the end: a browser hides all of it
  s = drop(INVISIBLE, s);
  s = drop(CONTROLS, s);
  s = drop(/!\[([^\]]*)\]\(([^)\s]*)(?:\s+"[^"]*")?\)/g, s, (_m, _alt, url) => `![](${url})`); // image alt text
  s = drop(/\[([^\]]*)\]\(([^)\s]*)\s+(?:"[^"]*"|'[^']*')\)/g, s, (_m, label, url) => `[${label}](${url})`); // link titles
  s = drop(/\s(?:alt|title|aria-label|data-[\w-]+)\s*=\s*(?:"[^"]*"|'[^']*'|[^\s>]+)/gi, s); // hidden HTML attributes
  return { text: s, removed };
}

/** Sanitize and cap one piece of untrusted text. Idempotent: sanitize(sanitize(x).text).text === sanitize(x).text. */
export function sanitizeUntrusted(input: string, maxChars = MAX_UNTRUSTED_CHARS): Sanitized {
  let text = input.normalize('NFC');
  let hiddenRemoved = 0;
  // Strip, decode, strip again until stable: each decode can reveal another layer.
  for (let i = 0; i < 4; i++) {
    const pass = stripOnce(text);
    hiddenRemoved += pass.removed;
    const decoded = decodeEntities(pass.text);
    if (decoded === pass.text && pass.removed === 0) break;
    text = decoded;
  }
  text = text.replace(/\r\n?/g, '\n');
  const truncated = text.length > maxChars;
  if (truncated) text = `${text.slice(0, maxChars)}\n[… truncated by taskcap: ${text.length - maxChars} more characters]`;
  return { text, hiddenRemoved, truncated };
}
