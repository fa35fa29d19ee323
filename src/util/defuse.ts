/**
 * Untrusted text (an issue title, the model's summary, test output, file names) that taskcap itself writes into
 * git or GitHub keeps its words but loses its effects:
 *
 * - `@user` and `@org/team` would notify people from a bot's text;
 * - `Fixes #12` in a commit message or PR body closes that issue when the change lands on the default branch;
 * - `[skip ci]` and its spellings in a commit message stop the repository's checks for that push;
 * - `<!--` opens an HTML comment that hides the rest from a reviewer (and could forge taskcap's own markers);
 * - `::command::` at a line start, or `##[command]`, is a workflow command when the text reaches a log.
 *
 * Each is broken with a zero-width space, so a reader sees the same characters and nothing fires.
 */

const ZWSP = '\u200b';

export function defuseMentions(text: string): string {
  return text.replace(/(^|[^\w`])@(?=[A-Za-z0-9])/g, `$1@${ZWSP}`);
}

/** GitHub's closing keywords followed by an issue reference (`#12`, `owner/repo#12`, or an issue URL). */
export function defuseClosingKeywords(text: string): string {
  return text.replace(/\b(close[sd]?|fix(?:e[sd])?|resolve[sd]?)(:?\s+)(?=(?:[\w.-]+\/[\w.-]+)?#\d|https?:\/\/\S+\/issues\/\d)/gi, `$1$2${ZWSP}`);
}

/** The commit-message directives GitHub Actions honours to skip workflows. */
export function defuseCiSkip(text: string): string {
  return text
    .replace(/\[(\s*)(skip|no)([\s-]+)(ci|actions)(\s*)\]/gi, `[$1$2${ZWSP}$3$4$5]`)
    .replace(/\[(\s*)(ci|actions)([\s-]+)(skip)(\s*)\]/gi, `[$1$2${ZWSP}$3$4$5]`)
    .replace(/^(\s*skip-checks)(\s*:\s*true)/gim, `$1${ZWSP}$2`);
}

/** HTML comments (and their start alone: an unterminated one hides everything after it). */
export function defuseHtmlComments(text: string): string {
  return text.replace(/<!--/g, `<!${ZWSP}--`);
}

/** Workflow commands, in case the text is printed to the log. */
export function defuseWorkflowCommands(text: string): string {
  return text.replace(/^(\s*):(?=:)/gm, `$1:${ZWSP}`).replace(/##\[/g, `#${ZWSP}#[`);
}

/** All of the above, for markdown or a commit message that quotes untrusted text. */
export function defuse(text: string): string {
  return defuseWorkflowCommands(defuseHtmlComments(defuseCiSkip(defuseClosingKeywords(defuseMentions(text)))));
}

// Invisible and direction-changing characters: a title that reads one way and says another ("Trojan Source").
// eslint-disable-next-line no-control-regex
const HIDDEN_OR_CONTROL = /[\u0000-\u001f\u007f-\u009f\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\u{e0000}-\u{e007f}\u{e0100}-\u{e01ef}]/gu;

/**
 * One line of untrusted text for a title or a commit subject: hidden characters and line breaks removed, spaces
 * collapsed, capped at `max` characters (never in the middle of a surrogate pair), then defused.
 */
export function untrustedLine(text: string, max: number): string {
  let flat = text.replace(HIDDEN_OR_CONTROL, ' ').replace(/\s+/g, ' ').trim();
  if (flat.length > max) {
    let cut = max - 1;
    if (/[\uD800-\uDBFF]/.test(flat[cut - 1] ?? '')) cut--;
    flat = `${flat.slice(0, cut).trimEnd()}…`;
  }
  return defuse(flat);
}

/**
 * A fenced code block that `text` cannot end early: the fence is longer than any run of backticks inside, so the
 * text after it can never be read as markdown (mentions, images, comments). Empty lines at the ends are kept out.
 */
export function codeBlock(text: string, info = ''): string {
  const longest = Math.max(0, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(Math.max(3, longest + 1));
  return `${fence}${info}\n${text.replace(/^\n+|\n+$/g, '')}\n${fence}`;
}
