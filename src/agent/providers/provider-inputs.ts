import { UserError } from '../../util/errors.js';
import { isProviderName, PROVIDERS, type ProviderName } from './provider-name.js';

/** The inputs that say where Claude is reached and how taskcap signs in there (contract §Providers). */
export interface ProviderInputs {
  provider: ProviderName;
  /** Anthropic API base URL (a gateway); `ANTHROPIC_BASE_URL` keeps working. */
  baseUrl?: string;
  awsRegion?: string;
  gcpProject?: string;
  gcpRegion?: string;
  foundryResource?: string;
  /** Masked like the Anthropic key. */
  foundryApiKey?: string;
  /** Keyless sign-in to the Claude API with the workflow's OIDC token (workload identity federation). */
  federation: {
    ruleId?: string;
    organizationId?: string;
    serviceAccountId?: string;
    workspaceId?: string;
    audience?: string;
  };
}

type Get = (name: string) => string;

/** The names of the inputs that belong to each provider: one set for another provider is a mistake worth naming. */
export const PROVIDER_INPUT_NAMES: Readonly<Record<ProviderName, readonly string[]>> = {
  anthropic: ['anthropic-api-key', 'base-url', 'anthropic-federation-rule-id', 'anthropic-organization-id', 'anthropic-service-account-id', 'anthropic-workspace-id', 'anthropic-oidc-audience'],
  bedrock: ['aws-region'],
  vertex: ['gcp-project', 'gcp-region'],
  foundry: ['foundry-resource', 'foundry-api-key'],
};

function matching(name: string, raw: string, pattern: RegExp, example: string): string | undefined {
  if (raw === '') return undefined;
  if (!pattern.test(raw)) throw new UserError(`Input '${name}' does not look right, got '${raw}'. Example: ${name}: ${example}`);
  return raw;
}

function url(name: string, raw: string): string | undefined {
  if (raw === '') return undefined;
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new UserError(`Input '${name}' must be a URL such as https://llm-gateway.example.com, got '${raw}'.`);
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw new UserError(`Input '${name}' must be an http(s) URL, got '${raw}'.`);
  return raw;
}

/** Parse the provider inputs. Formats are checked so a value pasted into the wrong input is caught before any request. */
export function parseProviderInputs(get: Get): ProviderInputs {
  const provider = get('provider') || 'anthropic';
  if (!isProviderName(provider)) throw new UserError(`Input 'provider' must be one of ${PROVIDERS.join(', ')}, got '${provider}'.`);
  return {
    provider,
    baseUrl: url('base-url', get('base-url')),
    awsRegion: matching('aws-region', get('aws-region'), /^[a-z]{2}(-[a-z]+)+-\d$/, 'us-east-1'),
    gcpProject: matching('gcp-project', get('gcp-project'), /^[a-z][a-z0-9-]{4,28}[a-z0-9]$|^[a-z0-9.-]+:[a-z][a-z0-9-]{4,28}[a-z0-9]$/, 'my-project-123'),
    gcpRegion: matching('gcp-region', get('gcp-region'), /^(global|us|eu|[a-z]+-[a-z]+\d+)$/, 'us-east5 (or global)'),
    foundryResource: matching('foundry-resource', get('foundry-resource'), /^[A-Za-z0-9][A-Za-z0-9-]{0,62}$/, 'my-foundry-resource (the name before .services.ai.azure.com)'),
    foundryApiKey: get('foundry-api-key') || undefined,
    federation: {
      ruleId: matching('anthropic-federation-rule-id', get('anthropic-federation-rule-id'), /^fdrl_[A-Za-z0-9]+$/, 'fdrl_01AbCd… (from the Console\'s workload identity page)'),
      organizationId: matching('anthropic-organization-id', get('anthropic-organization-id'), /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, 'the organization UUID, e.g. 12345678-90ab-cdef-1234-567890abcdef'),
      serviceAccountId: matching('anthropic-service-account-id', get('anthropic-service-account-id'), /^svac_[A-Za-z0-9]+$/, 'svac_01AbCd…'),
      workspaceId: matching('anthropic-workspace-id', get('anthropic-workspace-id'), /^(wrkspc_[A-Za-z0-9]+|default)$/, 'wrkspc_01AbCd… (or default)'),
      audience: get('anthropic-oidc-audience') || undefined,
    },
  };
}

/** Which inputs were given, by name (for the checks that spot inputs meant for another provider). */
export function givenProviderInputs(p: ProviderInputs, anthropicApiKey: string | undefined): string[] {
  const f = p.federation;
  const given: [string, unknown][] = [
    ['anthropic-api-key', anthropicApiKey],
    ['base-url', p.baseUrl],
    ['anthropic-federation-rule-id', f.ruleId],
    ['anthropic-organization-id', f.organizationId],
    ['anthropic-service-account-id', f.serviceAccountId],
    ['anthropic-workspace-id', f.workspaceId],
    ['anthropic-oidc-audience', f.audience],
    ['aws-region', p.awsRegion],
    ['gcp-project', p.gcpProject],
    ['gcp-region', p.gcpRegion],
    ['foundry-resource', p.foundryResource],
    ['foundry-api-key', p.foundryApiKey],
  ];
  return given.filter(([, v]) => v !== undefined && v !== '').map(([name]) => name);
}
