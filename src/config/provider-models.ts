/**
 * Model ids per provider. Each platform names Claude models its own way: Bedrock with an `anthropic.` prefix, a
 * cross-region (geo) prefix, version suffixes or an ARN; Vertex with `@date` versions; Foundry with deployment
 * names the customer chooses. Prices and capabilities are keyed by the first-party id, so taskcap reads the Claude
 * model inside a provider's id, and maps a first-party id to the provider's form where that mapping is documented.
 */
import type { ProviderName } from '../agent/providers/provider-name.js';
import { UserError } from '../util/errors.js';

/**
 * Bedrock models served only under ARN-versioned ids (the legacy InvokeModel table): their base ids, which Bedrock
 * calls through an inference profile (a geo prefix). Newer models take `anthropic.<first-party id>`.
 */
const BEDROCK_VERSIONED: Readonly<Record<string, string>> = {
  'claude-opus-4-6': 'anthropic.claude-opus-4-6-v1',
  'claude-sonnet-4-6': 'anthropic.claude-sonnet-4-6',
  'claude-opus-4-5': 'anthropic.claude-opus-4-5-20251101-v1:0',
  'claude-opus-4-5-20251101': 'anthropic.claude-opus-4-5-20251101-v1:0',
  'claude-sonnet-4-5': 'anthropic.claude-sonnet-4-5-20250929-v1:0',
  'claude-sonnet-4-5-20250929': 'anthropic.claude-sonnet-4-5-20250929-v1:0',
  'claude-haiku-4-5': 'anthropic.claude-haiku-4-5-20251001-v1:0',
  'claude-haiku-4-5-20251001': 'anthropic.claude-haiku-4-5-20251001-v1:0',
};

/** Vertex names the 4.5 generation with an `@date` version; later models keep their first-party id. */
const VERTEX_VERSIONED: Readonly<Record<string, string>> = {
  'claude-opus-4-5': 'claude-opus-4-5@20251101',
  'claude-opus-4-5-20251101': 'claude-opus-4-5@20251101',
  'claude-sonnet-4-5': 'claude-sonnet-4-5@20250929',
  'claude-sonnet-4-5-20250929': 'claude-sonnet-4-5@20250929',
  'claude-haiku-4-5': 'claude-haiku-4-5@20251001',
  'claude-haiku-4-5-20251001': 'claude-haiku-4-5@20251001',
};

/** The cross-region inference profile prefix Bedrock documents for a region (a suggestion in error messages). */
export function bedrockGeoPrefix(region: string | undefined): string {
  if (!region) return 'us.';
  if (region.startsWith('us-gov-')) return 'us-gov.';
  if (region.startsWith('us-') || region.startsWith('ca-')) return 'us.';
  if (region.startsWith('eu-')) return 'eu.';
  if (region === 'ap-northeast-1' || region === 'ap-northeast-3') return 'jp.';
  if (region.startsWith('ap-')) return 'apac.';
  return 'global.';
}

/**
 * The id to send for a first-party model id on a provider, or a UserError naming the id to use when the provider
 * calls that model by a name taskcap should not guess (a geo prefix decides where data is processed).
 */
export function providerModelId(provider: ProviderName, firstParty: string, region?: string): string {
  switch (provider) {
    case 'bedrock': {
      const versioned = BEDROCK_VERSIONED[firstParty];
      if (versioned) {
        const suggestion = `${bedrockGeoPrefix(region)}${versioned}`;
        throw new UserError(
          `Amazon Bedrock serves '${firstParty}' through an inference profile whose prefix chooses the regions your data may be processed in, so taskcap does not pick one. Set model: ${suggestion} (or the eu., jp., apac. or global. profile your account uses).`,
        );
      }
      return `anthropic.${firstParty}`;
    }
    case 'vertex':
      return VERTEX_VERSIONED[firstParty] ?? firstParty;
    default:
      // The Claude API takes first-party ids; a Foundry deployment is named after its model unless renamed (then
      // the config's `models:` maps the name).
      return firstParty;
  }
}

const isAlnum = (c: string | undefined) => c !== undefined && /[A-Za-z0-9]/.test(c);

/**
 * What may follow a model id inside a provider's id: nothing, a version (`@20251001`, `-v1`, `-v1:0`, `:0`), a date
 * (`-20251001`) or a word (a deployment suffix such as `-prod`). A `-<digits>` that is not a date would be another
 * model's minor version (`claude-opus-5` inside `claude-opus-5-5`), so it does not count.
 */
function boundaryAfter(rest: string): boolean {
  if (rest === '') return true;
  if (/^[@:/]/.test(rest)) return true;
  if (/^-v\d/i.test(rest)) return true;
  if (/^-\d{8}(\b|[^0-9]|$)/.test(rest)) return true;
  if (/^-[A-Za-z]/.test(rest)) return true;
  return false;
}

/**
 * The known model (the longest id of `known`) named inside a provider's model id, e.g. `claude-opus-4-7` in
 * `eu.anthropic.claude-opus-4-7`, `claude-haiku-4-5` in `claude-haiku-4-5@20251001`, `claude-sonnet-4-5-20250929`
 * in `anthropic.claude-sonnet-4-5-20250929-v1:0`.
 */
export function claudeModelIn(providerId: string, known: Iterable<string>): string | undefined {
  const lower = providerId.toLowerCase();
  let best: string | undefined;
  for (const id of known) {
    const needle = id.toLowerCase();
    for (let at = lower.indexOf(needle); at >= 0; at = lower.indexOf(needle, at + 1)) {
      const before = lower[at - 1];
      if ((before === undefined || !isAlnum(before)) && boundaryAfter(providerId.slice(at + needle.length))) {
        if (!best || id.length > best.length) best = id;
        break;
      }
    }
  }
  return best;
}

/** Edit distance, for "did you mean". */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length];
}

/** The provider's decorations around a model name, removed before comparing with known ids. */
function bareName(providerId: string): string {
  return providerId
    .toLowerCase()
    .replace(/^arn:[^/]*\//, '')
    .replace(/^(?:us-gov|us|eu|jp|apac|au|ca|global)\./, '')
    .replace(/^anthropic\./, '')
    .replace(/(?:@\d{8}|-v\d+(?::\d+)?|:\d+)$/, '');
}

/** The known id closest to `providerId` when it is a near miss (a typo, a dot for a dash), else undefined. */
export function nearestModel(providerId: string, known: Iterable<string>): string | undefined {
  const name = bareName(providerId);
  let best: { id: string; d: number } | undefined;
  for (const id of known) {
    const d = Math.min(distance(name, id.toLowerCase()), distance(providerId.toLowerCase(), id.toLowerCase()));
    if (!best || d < best.d || (d === best.d && id.length < best.id.length)) best = { id, d };
  }
  if (!best) return undefined;
  const allowed = Math.max(2, Math.floor(best.id.length / 6));
  return best.d > 0 && best.d <= allowed ? best.id : undefined;
}
