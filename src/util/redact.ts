/**
 * Outbound redaction: every text that leaves taskcap (tool results to the model, logs, commit messages, the
 * patch, PR and comment bodies) passes through here. A registered secret is found
 *
 * - as itself, and as any run of FRAGMENT_CHARS of its characters (so "print it without the first 7 characters"
 *   does not work);
 * - after normalisation: case folded and every character other than a letter or digit removed, in the text and
 *   in the secret alike. Upper case, separators, spaces, one character per line, quotes between characters:
 *   all read the same;
 * - reversed, rot13, base64 (any alignment, also url-safe, also wrapped), base32 (any alignment), each of those
 *   reversed again, all normalised the same way;
 * - in hex as any tool prints it: `xxd` groups, `od`/`hexdump` pairs, 16- and 32-bit little-endian words
 *   (`od -x`, `od -t x4`), `\x` and `%` escapes, `0x` prefixes, upper case, line offsets in between; of the
 *   secret and of its reverse, and reversed again;
 *
 * and token-shaped strings are replaced too. Encodings are matched window by window (a secret cut over several
 * lines of a dump is still found piece by piece), and a window counts only when the part of the secret it
 * stands for mixes letters and digits, so fixed words and runs of zeros never hide ordinary text.
 *
 * Not caught, by design: a secret split over several separate outputs in pieces shorter than a window, one
 * interleaved with other letters or digits, compressed (gzip), encrypted, or encoded otherwise (octal, decimal
 * bytes, base-N other than 16, 32 and 64, doubly encoded). This is the last line, not the wall: the sandbox keeps
 * secrets out of the agent's reach in the first place.
 */

const MASK = '***';
/** Needles shorter than this would redact ordinary text. */
const MIN_NEEDLE = 8;
/** A run of this many characters of a secret (in order, from anywhere in it) counts as the secret. */
export const FRAGMENT_CHARS = 12;
/** Normalised windows: this many letters and digits of a form, or hex digits (two per byte of the secret). */
const ALNUM_WINDOW = FRAGMENT_CHARS;
const HEX_WINDOW = 2 * FRAGMENT_CHARS;

/** Token shapes worth hiding even when the value is not one of ours. */
const TOKEN_PATTERNS: RegExp[] = [
  /sk-ant-[A-Za-z0-9_-]{16,}/g,
  /\bgh[pousr]_[A-Za-z0-9]{20,}\b/g,
  /\bgithub_pat_[A-Za-z0-9_]{30,}\b/g,
  /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/g,
  /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\b/g,
  /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)/g,
];

/**
 * A fragment counts only when it looks like key material: letters and digits mixed. Fragments of a header's
 * fixed words ("AUTHORIZATION: basic") or of a run of zeros would otherwise hide ordinary text.
 */
const keyLike = (fragment: string) => /[A-Za-z]/.test(fragment) && /[0-9]/.test(fragment);

const rot13 = (s: string) =>
  s.replace(/[a-z]/gi, (c) => {
    const base = c <= 'Z' ? 65 : 97;
    return String.fromCharCode(((c.charCodeAt(0) - base + 13) % 26) + base);
  });

/** The spellings of a secret's bytes in hex that tools print whole: xxd -p, od/hexdump pairs, \x escapes, %XX. */
function hexNeedles(secret: string): string[] {
  const bytes = [...Buffer.from(secret, 'utf8')].map((b) => b.toString(16).padStart(2, '0'));
  const spellings = [bytes.join(''), bytes.join(' '), bytes.join(':'), bytes.map((b) => `\\x${b}`).join(''), bytes.map((b) => `%${b}`).join('')];
  return spellings.flatMap((s) => [s, s.toUpperCase()]);
}

/** Base64 runs that encode `secret` wherever it sits in a larger text: one stable middle part per alignment. */
function base64Needles(secret: string): string[] {
  const out: string[] = [];
  for (let offset = 0; offset < 3; offset++) {
    const encoded = Buffer.from('\0'.repeat(offset) + secret, 'utf8').toString('base64');
    const start = Math.ceil((offset * 4) / 3) + (offset > 0 ? 1 : 0);
    const stableEnd = Math.floor(((offset + Buffer.byteLength(secret)) * 4) / 3) - 1;
    const middle = encoded.slice(start, Math.max(start, stableEnd));
    if (middle.length >= MIN_NEEDLE) out.push(middle, middle.replace(/\+/g, '-').replace(/\//g, '_'));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Normalised views

/** A text reduced to some alphabet, with the index in the original text of each character kept. */
interface View {
  text: string;
  at?: Int32Array;
}

const isAlnum = (c: number) => (c >= 48 && c <= 57) || (c >= 97 && c <= 122);
const isHex = (c: number) => (c >= 48 && c <= 57) || (c >= 97 && c <= 102);

const ascii = new TextDecoder('latin1');
/** ASCII upper case to lower case; everything else unchanged. */
const fold = (c: number) => (c >= 65 && c <= 90 ? c + 32 : c);

/** Lower-cased letters and digits only. */
function alnumView(text: string, withIndex: boolean): View {
  // ASCII folding only: a full toLowerCase can change the length (İ) and shift every index after it.
  if (!withIndex) return { text: text.replace(/[^A-Za-z0-9]+/g, '').toLowerCase() };
  const at = new Int32Array(text.length);
  const codes = new Uint8Array(text.length);
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = fold(text.charCodeAt(i));
    if (!isAlnum(c)) continue;
    codes[n] = c;
    at[n++] = i;
  }
  return { text: ascii.decode(codes.subarray(0, n)), at };
}

/** Lower-cased hex digits only, with `0x` and `\x` prefixes dropped first (their 0 is not part of the bytes). */
function hexView(text: string, withIndex: boolean): View {
  if (!withIndex) return { text: text.replace(/[0\\][xX](?=[0-9a-fA-F])/g, '').replace(/[^0-9a-fA-F]+/g, '').toLowerCase() };
  const at = new Int32Array(text.length);
  const codes = new Uint8Array(text.length);
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = fold(text.charCodeAt(i));
    if ((c === 48 || c === 92) && fold(text.charCodeAt(i + 1)) === 120 && isHex(fold(text.charCodeAt(i + 2)))) {
      i++;
      continue;
    }
    if (!isHex(c)) continue;
    codes[n] = c;
    at[n++] = i;
  }
  return { text: ascii.decode(codes.subarray(0, n)), at };
}

const OFFSET_TOKEN = /^[0-9a-fA-F]{4,16}:?$/;
const HEX_TOKEN = /^(?:0[xX])?([0-9a-fA-F]{2,16}),?$/;

/**
 * The columns of a hex dump, joined across lines: the hex groups without the line offsets, and the printable
 * column. A narrow dump (`xxd -c 4`) cuts a secret into pieces shorter than a window and puts an offset between
 * each; read by columns, the pieces join up again.
 */
function dumpViews(text: string): { hex: View; printable: View } {
  const hexCodes = new Uint8Array(text.length);
  const hexAt = new Int32Array(text.length);
  const printCodes = new Uint8Array(text.length);
  const printAt = new Int32Array(text.length);
  let h = 0;
  let p = 0;
  for (const line of text.matchAll(/[^\n]+/g)) {
    const tokens = [...line[0].matchAll(/\S+/g)];
    let k = tokens.length >= 2 && OFFSET_TOKEN.test(tokens[0][0]) ? 1 : 0;
    const first = k;
    // The printable column can itself look like hex (a secret holding hex): it is the last token when its length is
    // half the hex digits before it (n bytes: 2n digits, n characters), as xxd prints.
    let end = tokens.length;
    if (tokens.length - first >= 2 && tokens.slice(first).every((t) => HEX_TOKEN.test(t[0]))) {
      const digits = tokens.slice(first, -1).reduce((n, t) => n + (HEX_TOKEN.exec(t[0])?.[1].length ?? 0), 0);
      if (tokens[tokens.length - 1][0].length * 2 === digits) end = tokens.length - 1;
    }
    for (; k < end; k++) {
      const m = HEX_TOKEN.exec(tokens[k][0]);
      if (!m) break;
      const start = (line.index ?? 0) + (tokens[k].index ?? 0) + tokens[k][0].indexOf(m[1]);
      for (let i = 0; i < m[1].length; i++) {
        hexCodes[h] = fold(m[1].charCodeAt(i));
        hexAt[h++] = start + i;
      }
    }
    if (k === first) continue; // not a dump line
    for (; k < tokens.length; k++) {
      const start = (line.index ?? 0) + (tokens[k].index ?? 0);
      for (let i = 0; i < tokens[k][0].length; i++) {
        const c = fold(tokens[k][0].charCodeAt(i));
        if (!isAlnum(c)) continue;
        printCodes[p] = c;
        printAt[p++] = start + i;
      }
    }
  }
  return { hex: { text: ascii.decode(hexCodes.subarray(0, h)), at: hexAt }, printable: { text: ascii.decode(printCodes.subarray(0, p)), at: printAt } };
}

/**
 * Strings of a few fixed lengths, found at every position of a text. A bitmap keyed by a hash of each string's
 * first characters rules out almost every position without building a substring, so a megabyte takes
 * milliseconds, not the better part of a second.
 */
class WindowSet {
  private static readonly PREFIX = 6;
  private static readonly BITS = 20;
  private readonly byWidth = new Map<number, Set<string>>();
  private readonly filter = new Uint8Array(1 << WindowSet.BITS);

  get size(): number {
    return this.byWidth.size;
  }

  private static hash(text: string, at: number): number {
    let h = 5381;
    // Shifts, not Math.imul: plain arithmetic stays fast in every realm (Math calls are slow inside a vm context).
    for (let k = 0; k < WindowSet.PREFIX; k++) h = (((h << 5) + h) ^ text.charCodeAt(at + k)) | 0;
    return h & ((1 << WindowSet.BITS) - 1);
  }

  add(window: string): void {
    if (window.length < WindowSet.PREFIX) return;
    let set = this.byWidth.get(window.length);
    if (!set) this.byWidth.set(window.length, (set = new Set()));
    set.add(window);
    this.filter[WindowSet.hash(window, 0)] = 1;
  }

  /** [start, end) of every occurrence in `text`; with `first`, stops at the first. */
  find(text: string, first: boolean): [number, number][] {
    const out: [number, number][] = [];
    if (this.byWidth.size === 0) return out;
    const widths = [...this.byWidth.entries()];
    const shortest = Math.min(...widths.map(([w]) => w));
    for (let i = 0; i + shortest <= text.length; i++) {
      if (!this.filter[WindowSet.hash(text, i)]) continue;
      for (const [w, set] of widths) {
        if (i + w <= text.length && set.has(text.slice(i, i + w))) {
          out.push([i, i + w]);
          if (first) return out;
        }
      }
    }
    return out;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Encoded forms of a secret, as lists of characters each tied to the bytes of the secret it depends on

/** One character of an encoded form and the bytes [from, to] of the secret it depends on. */
type FormChar = { ch: string; from: number; to: number };

/** The characters of `encoded` (of `prefix` zero bytes plus the secret) that depend on the secret's bytes only. */
function stableChars(encoded: string, bitsPerChar: number, prefix: number, length: number): FormChar[] {
  const out: FormChar[] = [];
  for (let c = 0; c < encoded.length; c++) {
    const first = Math.floor((c * bitsPerChar) / 8) - prefix;
    const last = Math.floor(((c + 1) * bitsPerChar - 1) / 8) - prefix;
    if (first >= 0 && last < length && encoded[c] !== '=') out.push({ ch: encoded[c], from: first, to: last });
  }
  return out;
}

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
function base32(bytes: Buffer): string {
  let out = '';
  let bits = 0;
  let value = 0;
  for (const b of bytes) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    value &= (1 << bits) - 1;
  }
  if (bits > 0) out += BASE32[(value << (5 - bits)) & 31];
  return out;
}

/** Hex of `prefix` zero bytes plus the secret, bytes swapped within little-endian words of `word` bytes. */
function swappedHex(bytes: Buffer, word: number, prefix: number): FormChar[] {
  const padded = Buffer.concat([Buffer.alloc(prefix), bytes, Buffer.alloc((word - ((prefix + bytes.length) % word)) % word)]);
  const out: FormChar[] = [];
  for (let w = 0; w + word <= padded.length; w += word) {
    const inside = w - prefix >= 0 && w + word - prefix <= bytes.length;
    for (let k = word - 1; k >= 0; k--) {
      const hex = padded[w + k].toString(16).padStart(2, '0');
      if (inside) for (const ch of hex) out.push({ ch, from: w + k - prefix, to: w + k - prefix });
    }
  }
  return out;
}

const plainChars = (s: string): FormChar[] => [...s].map((ch, i) => ({ ch, from: i, to: i }));
const reversedChars = (chars: FormChar[]): FormChar[] => [...chars].reverse();

/** Every form of one secret, in the normalised alphabets (letters and digits; hex digits). */
function formsOf(secret: string): { alnum: FormChar[][]; hex: FormChar[][]; source: (from: number, to: number, reversed: boolean) => string } {
  const reversedSecret = [...secret].reverse().join('');
  const alnum: FormChar[][] = [];
  const hex: FormChar[][] = [];
  // Plain-text forms index characters of the secret; byte forms index its UTF-8 bytes (the same for ASCII).
  for (const s of [secret, reversedSecret]) {
    const bytes = Buffer.from(s, 'utf8');
    const forms: FormChar[][] = [plainChars(s), plainChars(rot13(s))];
    for (let p = 0; p < 3; p++) forms.push(stableChars(Buffer.concat([Buffer.alloc(p), bytes]).toString('base64'), 6, p, bytes.length));
    for (let p = 0; p < 5; p++) forms.push(stableChars(base32(Buffer.concat([Buffer.alloc(p), bytes])), 5, p, bytes.length));
    for (const f of forms) alnum.push(f, reversedChars(f));
    const plainHex = stableChars(bytes.toString('hex'), 4, 0, bytes.length);
    hex.push(plainHex, reversedChars(plainHex));
    for (let p = 0; p < 2; p++) hex.push(swappedHex(bytes, 2, p));
    for (let p = 0; p < 4; p++) hex.push(swappedHex(bytes, 4, p));
  }
  const forward = Buffer.from(secret, 'utf8');
  const backward = Buffer.from(reversedSecret, 'utf8');
  return { alnum, hex, source: (from, to, reversed) => (reversed ? backward : forward).subarray(from, to + 1).toString('latin1') };
}

/** Add the windows of `form` (normalised with `keep`) whose source part of the secret is key-like. */
function addWindows(into: WindowSet, form: FormChar[], keep: (c: number) => boolean, width: number, source: (from: number, to: number) => string): void {
  const chars = form.map((f) => ({ ...f, ch: f.ch.toLowerCase() })).filter((f) => keep(f.ch.charCodeAt(0)));
  // A short secret's whole form is one window of its own length.
  const w = chars.length < width && chars.length >= MIN_NEEDLE ? chars.length : width;
  for (let i = 0; i + w <= chars.length; i++) {
    const slice = chars.slice(i, i + w);
    const from = Math.min(...slice.map((c) => c.from));
    const to = Math.max(...slice.map((c) => c.to));
    if (keyLike(source(from, to))) into.add(slice.map((c) => c.ch).join(''));
  }
}

// ---------------------------------------------------------------------------------------------------------------

/**
 * Environment variables whose values are secrets by their name: what a workflow passes as `env: FOO_TOKEN: ${{
 * secrets.X }}`, the runner's ACTIONS_* tokens, the inputs' keys and tokens. Used to register the action's own
 * environment, so a value read without a sandbox (`/proc/<pid>/environ`) is still masked on the way out.
 */
export const SECRET_NAME = /TOKEN|SECRET|PASSWORD|PASSWD|PASSPHRASE|API[-_]?KEY|ACCESS[-_]?KEY|PRIVATE|CREDENTIAL|AUTH|COOKIE|SESSION|DSN|WEBHOOK/i;

/** Values of the secret-named variables in `env` (long enough to be worth masking). */
export function secretLikeValues(env: Record<string, string | undefined>): string[] {
  return Object.entries(env)
    .filter(([name, value]) => SECRET_NAME.test(name) && value !== undefined && value.length >= MIN_NEEDLE && !/^(true|false|\d+)$/i.test(value))
    .map(([, value]) => value as string);
}

export class Redactor {
  private needles: string[] = [];
  /** Runs of FRAGMENT_CHARS characters of the secrets as written. */
  private fragments = new WindowSet();
  /** Normalised windows: letters and digits; hex digits. */
  private alnumWindows = new WindowSet();
  private hexWindows = new WindowSet();
  private readonly seen = new Set<string>();

  /** Register a secret value; its encodings and fragments are registered with it. */
  add(secret: string | undefined): this {
    if (!secret || secret.length < MIN_NEEDLE || this.seen.has(secret)) return this;
    this.seen.add(secret);
    const reversed = [...secret].reverse().join('');
    const variants = [
      secret,
      reversed,
      encodeURIComponent(secret),
      rot13(secret),
      ...hexNeedles(secret),
      Buffer.from(secret, 'utf8').toString('base64').replace(/=+$/, ''),
      ...base64Needles(secret),
      ...base64Needles(reversed),
    ];
    this.needles = [...new Set([...this.needles, ...variants.filter((v) => v.length >= MIN_NEEDLE)])].sort((a, b) => b.length - a.length);
    for (const s of [secret, reversed]) {
      for (let i = 0; i + FRAGMENT_CHARS <= s.length; i++) {
        const f = s.slice(i, i + FRAGMENT_CHARS);
        if (keyLike(f)) this.fragments.add(f);
      }
    }
    const forms = formsOf(secret);
    // Forms come in pairs per direction: the first half stands for the secret, the second for its reverse.
    const half = (list: FormChar[][]) => list.length / 2;
    forms.alnum.forEach((f, i) => addWindows(this.alnumWindows, f, isAlnum, ALNUM_WINDOW, (a, b) => forms.source(a, b, i >= half(forms.alnum))));
    forms.hex.forEach((f, i) => addWindows(this.hexWindows, f, isHex, HEX_WINDOW, (a, b) => forms.source(a, b, i >= half(forms.hex))));
    return this;
  }

  /** Register the values of every secret-named variable of an environment (the action's own `process.env`). */
  addEnvironment(env: Record<string, string | undefined>): this {
    for (const value of secretLikeValues(env)) this.add(value);
    return this;
  }

  redact(text: string): string {
    const spans = this.spans(text, false);
    if (spans.length === 0) return text;
    let out = '';
    let at = 0;
    for (const [start, end] of spans) {
      out += text.slice(at, start) + MASK;
      at = end;
    }
    return out + text.slice(at);
  }

  /** True when the text holds a known secret (in any registered form or fragment) or a token-shaped string. */
  leaks(text: string): boolean {
    return this.spans(text, true).length > 0;
  }

  /** [start, end) spans of the text that hold a secret, merged; with `first`, the first one found is enough. */
  private spans(text: string, first: boolean): [number, number][] {
    const found: [number, number][] = [];
    const done = () => first && found.length > 0;
    for (const n of this.needles) {
      for (let i = text.indexOf(n); i >= 0; i = text.indexOf(n, i + n.length)) found.push([i, i + n.length]);
      if (done()) return found;
    }
    found.push(...this.fragments.find(text, first));
    if (done()) return found;
    for (const re of TOKEN_PATTERNS) {
      for (const m of text.matchAll(new RegExp(re.source, re.flags))) found.push([m.index ?? 0, (m.index ?? 0) + m[0].length]);
      if (done()) return found;
    }
    const dump = /[0-9a-fA-F]{2}\s+[0-9a-fA-F]{2}/.test(text) ? dumpViews(text) : undefined;
    for (const [windows, view] of [
      [this.alnumWindows, () => alnumView(text, !first)],
      [this.hexWindows, () => hexView(text, !first)],
      [this.hexWindows, () => dump?.hex],
      [this.alnumWindows, () => dump?.printable],
    ] as const) {
      if (windows.size === 0) continue;
      const v = view();
      if (!v) continue;
      for (const [s, e] of windows.find(v.text, first)) {
        if (first) return [[0, 0]];
        const at = v.at as Int32Array;
        found.push([at[s], at[e - 1] + 1]);
      }
    }
    found.sort((a, b) => a[0] - b[0] || b[1] - a[1]);
    const merged: [number, number][] = [];
    for (const [s, e] of found) {
      const last = merged[merged.length - 1];
      if (last && s <= last[1]) last[1] = Math.max(last[1], e);
      else merged.push([s, e]);
    }
    return merged;
  }
}
