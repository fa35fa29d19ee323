import { formatInt } from '../util/format.js';

/**
 * Untrusted text on its way into the prompt. Hidden channels are removed because the model reads them and a
 * human reviewer does not: HTML comments (also unterminated), invisible and format characters, the Unicode tag
 * block, bidi controls, variation selectors, private-use and lone surrogate code units, image alt text, link
 * titles, link reference definitions (`[//]: # "never rendered"`) and hidden HTML attributes. Entities are
 * decoded and the text stripped again until nothing changes, so `&#x200B;` or `&lt;!-- … --&gt;` cannot smuggle
 * what the raw characters could not.
 */

export const MAX_UNTRUSTED_CHARS = 20_000;

export interface Sanitized {
  text: string;
  /** Characters removed as hidden content (comments, invisible characters, alt/title text). */
  hiddenRemoved: number;
  truncated: boolean;
}

// Format (Cf), private-use (Co) and surrogate (Cs) categories cover zero-width, bidi, tags and the BOM; the whole
// tag block (also its unassigned code points), variation selectors (Mn), the combining grapheme joiner, Khmer
// inherent vowels, Hangul and Mongolian fillers render as nothing.
const INVISIBLE =
  /[\p{Cf}\p{Co}\p{Cs}\u{E0000}-\u{E007F}\u{FE00}-\u{FE0F}\u{E0100}-\u{E01EF}\u{034F}\u{17B4}\u{17B5}\u{115F}\u{1160}\u{3164}\u{FFA0}\u{180B}-\u{180F}]/gu;
// eslint-disable-next-line no-control-regex
const CONTROLS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/g;

/** Named entities decoded: the markup ones, and every one that renders as an invisible character. */
const NAMED: Record<string, string> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: '\u00a0',
  shy: '\u00ad',
  zwsp: '\u200b',
  zerowidthspace: '\u200b',
  negativeverythinspace: '\u200b',
  negativethinspace: '\u200b',
  negativemediumspace: '\u200b',
  negativethickspace: '\u200b',
  zwnj: '\u200c',
  zwj: '\u200d',
  lrm: '\u200e',
  rlm: '\u200f',
  nobreak: '\u2060',
  af: '\u2061',
  applyfunction: '\u2061',
  it: '\u2062',
  invisibletimes: '\u2062',
  ic: '\u2063',
  invisiblecomma: '\u2063',
};

const ENTITY = /&(#x[0-9a-f]+|#[0-9]+|[a-z]+);?/gi;

function decodeEntities(s: string): string {
  return s.replace(ENTITY, (m, body: string) => {
    const lower = body.toLowerCase();
    if (lower.startsWith('#x')) return safeFromCodePoint(parseInt(lower.slice(2), 16), m);
    if (lower.startsWith('#')) return safeFromCodePoint(parseInt(lower.slice(1), 10), m);
    return NAMED[lower] ?? m;
  });
}

function safeFromCodePoint(cp: number, fallback: string): string {
  return Number.isInteger(cp) && cp >= 0 && cp <= 0x10ffff ? String.fromCodePoint(cp) : fallback;
}

/** A markdown link destination: `<anything but >>` or a run without spaces or parentheses. */
const DEST = String.raw`(<[^>\n]*>|[^)\s]*)`;
/** A link title in any of its three spellings. */
const TITLE = String.raw`(?:"[^"]*"|'[^']*'|\([^)]*\))`;

const IMAGE = new RegExp(String.raw`!\[((?:[^\[\]]|\[[^\]]*\])*)\]\(\s*${DEST}(?:\s+${TITLE})?\s*\)`, 'g');
const LINK_TITLE = new RegExp(String.raw`\[((?:[^\[\]]|\[[^\]]*\])*)\]\(\s*${DEST}\s+${TITLE}\s*\)`, 'g');
const REFERENCE_IMAGE = /!\[((?:[^[\]]|\[[^\]]*\])+)\]\[([^\]]*)\]/g;
// A link reference definition is never rendered: `[//]: # (hidden)` is the classic markdown comment.
// (Footnotes, `[^1]: …`, are rendered and stay.)
const REFERENCE_DEFINITION = new RegExp(String.raw`^ {0,3}\[(?!\^)[^\]\n]+\]:[ \t]*\S*(?:[ \t]+${TITLE})?[ \t]*$\n?`, 'gm');
const HTML_TAG = /<[A-Za-z][^<>]*>/g;
const HIDDEN_ATTRIBUTE = /\s(?:alt|title|aria-label|aria-description|data-[\w-]+)\s*=\s*(?:"[^"]*"|'[^']*'|[^\s>]+)/gi;

function stripOnce(input: string): { text: string; removed: number } {
  let removed = 0;
  const drop = (re: RegExp, s: string, keep?: (...g: string[]) => string) =>
    s.replace(re, (...args: string[]) => {
      const replacement = keep ? keep(...args) : '';
      removed += Math.max(0, args[0].length - replacement.length);
      return replacement;
    });
  let s = input;
  s = drop(/<!--[\s\S]*?(?:-->|$)/g, s); // unterminated comments run to the end: a browser hides all of it
  s = drop(INVISIBLE, s);
  s = drop(CONTROLS, s);
  s = drop(REFERENCE_DEFINITION, s);
  s = drop(IMAGE, s, (_m, _alt, url) => `![](${url})`); // image alt text and title
  s = drop(REFERENCE_IMAGE, s, (_m, _alt, ref) => `![][${ref}]`);
  s = drop(LINK_TITLE, s, (_m, label, url) => `[${label}](${url})`); // link titles
  s = s.replace(HTML_TAG, (tag) => drop(HIDDEN_ATTRIBUTE, tag)); // hidden HTML attributes, inside tags only
  return { text: s, removed };
}

/** Decoding passes before any entity left is dropped outright (an adversarial `&amp;amp;amp;…` nesting). */
const DECODE_PASSES = 12;

/** Strip, normalize and decode until a pass changes nothing: the result is a fixed point of this function. */
function settle(input: string): { text: string; removed: number } {
  let text = input;
  let removed = 0;
  for (let pass = 0; ; pass++) {
    const stripped = stripOnce(text.normalize('NFC'));
    removed += stripped.removed;
    let next: string;
    if (pass < DECODE_PASSES) next = decodeEntities(stripped.text);
    else {
      next = stripped.text.replace(ENTITY, (m) => {
        removed += m.length;
        return '';
      });
    }
    if (next === text) return { text, removed };
    text = next;
  }
}

/** Room for the truncation note, so a truncated text stays within `maxChars` and sanitizing it again is a no-op. */
const NOTE_ROOM = 64;

/** Sanitize and cap one piece of untrusted text. Idempotent: sanitize(sanitize(x).text).text === sanitize(x).text. */
export function sanitizeUntrusted(input: string, maxChars = MAX_UNTRUSTED_CHARS): Sanitized {
  let { text, removed: hiddenRemoved } = settle(input.replace(/\r\n?/g, '\n'));
  const truncated = text.length > maxChars;
  if (truncated) {
    const total = text.length;
    let cut = Math.max(0, maxChars - NOTE_ROOM);
    if (cut > 0 && /[\uD800-\uDBFF]/.test(text[cut - 1])) cut--; // never split a surrogate pair
    const head = settle(text.slice(0, cut));
    hiddenRemoved += head.removed;
    text = `${head.text}\n[… truncated by taskcap: ${formatInt(total - cut)} more characters]`;
  }
  return { text, hiddenRemoved, truncated };
}
