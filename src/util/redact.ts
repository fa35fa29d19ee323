/**
 * Outbound redaction: every text that leaves taskcap (tool results to the model, logs, commit messages, PR and
 * comment bodies) passes through here. Known secrets are replaced in their plain form, in the simple encodings
 * an injected agent might use to slip them past a scanner (reversed, URL/percent, hex in its usual spellings,
 * base64 at any alignment, rot13), and as fragments (any run of FRAGMENT_CHARS characters of a secret, so
 * "print it without the first 7 characters" does not work); token-shaped strings are replaced too.
 *
 * This is the last line, not the wall: the sandbox keeps secrets out of the agent's reach in the first place.
 */

const MASK = '***';
/** Needles shorter than this would redact ordinary text. */
const MIN_NEEDLE = 8;
/** A run of this many characters of a secret (in order, from anywhere in it) counts as the secret. */
export const FRAGMENT_CHARS = 12;

/** Token shapes worth hiding even when the value is not one of ours. */
const TOKEN_PATTERNS: RegExp[] = [
  /sk-ant-[A-Za-z0-9_-]{16,}/g,
  /\bgh[pousr]_[A-Za-z0-9]{20,}\b/g,
  /\bgithub_pat_[A-Za-z0-9_]{30,}\b/g,
  /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/g,
  /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\b/g,
  /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)/g,
];

/** Base64 runs that encode `secret` wherever it sits in a larger text: one stable middle part per alignment. */
function base64Needles(secret: string): string[] {
  const out: string[] = [];
  for (let offset = 0; offset < 3; offset++) {
    const encoded = Buffer.from('\0'.repeat(offset) + secret, 'utf8').toString('base64');
    // Characters touched by the padding prefix or by whatever follows the secret are unstable: drop them.
    const start = Math.ceil((offset * 4) / 3) + (offset > 0 ? 1 : 0);
    const stableEnd = Math.floor(((offset + Buffer.byteLength(secret)) * 4) / 3) - 1;
    const middle = encoded.slice(start, Math.max(start, stableEnd));
    if (middle.length >= MIN_NEEDLE) {
      out.push(middle, middle.replace(/\+/g, '-').replace(/\//g, '_'));
    }
  }
  return out;
}

const rot13 = (s: string) =>
  s.replace(/[a-z]/gi, (c) => {
    const base = c <= 'Z' ? 65 : 97;
    return String.fromCharCode(((c.charCodeAt(0) - base + 13) % 26) + base);
  });

/** The spellings of a secret's bytes in hex that tools print: xxd -p, od/hexdump pairs, \x escapes, %XX, 0x... */
function hexNeedles(secret: string): string[] {
  const bytes = [...Buffer.from(secret, 'utf8')].map((b) => b.toString(16).padStart(2, '0'));
  const spellings = [bytes.join(''), bytes.join(' '), bytes.join(':'), bytes.map((b) => `\\x${b}`).join(''), bytes.map((b) => `%${b}`).join('')];
  return spellings.flatMap((s) => [s, s.toUpperCase()]);
}

/**
 * A fragment counts only when it looks like key material: letters and digits mixed. Fragments of a header's
 * fixed words ("AUTHORIZATION: basic") or of a run of zeros would otherwise hide ordinary text.
 */
const keyLike = (fragment: string) => /[A-Za-z]/.test(fragment) && /[0-9]/.test(fragment);

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
  private fragments = new Set<string>();

  /** Register a secret value; its encodings and fragments are registered with it. */
  add(secret: string | undefined): this {
    if (!secret || secret.length < MIN_NEEDLE) return this;
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
    return this;
  }

  /** Register the values of every secret-named variable of an environment (the action's own `process.env`). */
  addEnvironment(env: Record<string, string | undefined>): this {
    for (const value of secretLikeValues(env)) this.add(value);
    return this;
  }

  redact(text: string): string {
    let out = text;
    for (const n of this.needles) if (out.includes(n)) out = out.split(n).join(MASK);
    out = this.maskFragments(out);
    for (const re of TOKEN_PATTERNS) out = out.replace(re, MASK);
    return out;
  }

  /** True when the text holds a known secret (in any registered form or fragment) or a token-shaped string. */
  leaks(text: string): boolean {
    return (
      this.needles.some((n) => text.includes(n)) ||
      this.fragmentSpans(text).length > 0 ||
      TOKEN_PATTERNS.some((re) => new RegExp(re.source).test(text))
    );
  }

  /** [start, end) spans of the text covered by secret fragments, merged. */
  private fragmentSpans(text: string): [number, number][] {
    const spans: [number, number][] = [];
    if (this.fragments.size === 0 || text.length < FRAGMENT_CHARS) return spans;
    for (let i = 0; i + FRAGMENT_CHARS <= text.length; i++) {
      if (!this.fragments.has(text.slice(i, i + FRAGMENT_CHARS))) continue;
      const last = spans[spans.length - 1];
      if (last && i <= last[1]) last[1] = i + FRAGMENT_CHARS;
      else spans.push([i, i + FRAGMENT_CHARS]);
    }
    return spans;
  }

  private maskFragments(text: string): string {
    const spans = this.fragmentSpans(text);
    if (spans.length === 0) return text;
    let out = '';
    let at = 0;
    for (const [start, end] of spans) {
      out += text.slice(at, start) + MASK;
      at = end;
    }
    return out + text.slice(at);
  }
}
