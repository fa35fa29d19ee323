/**
 * Where Claude is reached and how taskcap signs in there, decided once from the inputs and the step's environment,
 * before any request or write. Exactly one way to authenticate must be configured: none, two, or inputs meant for
 * another provider is a UserError that names the inputs or variables, quotes what was found and says the fix.
 * Credential files are read here, into memory, so they can be moved out of the agent's reach before the loop.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { UserError } from '../../util/errors.js';
import { givenProviderInputs, PROVIDER_INPUT_NAMES, type ProviderInputs } from './provider-inputs.js';
import { PROVIDER_LABELS, type ProviderName } from './provider-name.js';

/** The audience the Console's GitHub Actions wizard writes into a federation rule. */
export const DEFAULT_OIDC_AUDIENCE = 'https://api.anthropic.com';
/** Entra ID resource of Azure AI services (the `Cognitive Services User` role grants inference). */
export const FOUNDRY_ENTRA_RESOURCE = 'https://cognitiveservices.azure.com';

export type AnthropicAuth =
  | { kind: 'api-key'; apiKey: string }
  | { kind: 'federation'; ruleId: string; organizationId: string; serviceAccountId?: string; workspaceId?: string; audience: string };

export type BedrockAuth =
  | { kind: 'aws-credentials'; accessKeyId: string; secretAccessKey: string; sessionToken?: string }
  | { kind: 'bedrock-api-key'; apiKey: string };

/** A Google credentials file (service account key, or the external_account file of workload identity federation). */
export interface GoogleCredentials {
  file: string;
  json: Record<string, unknown>;
  type: string;
}

export type ProviderPlan =
  | { provider: 'anthropic'; auth: AnthropicAuth; baseURL?: string }
  | { provider: 'bedrock'; api: 'invoke' | 'mantle'; region: string; auth: BedrockAuth; baseURL?: string }
  | { provider: 'vertex'; region: string; projectId: string; auth: { kind: 'google-credentials'; credentials: GoogleCredentials }; baseURL?: string }
  | {
      provider: 'foundry';
      resource?: string;
      baseURL?: string;
      auth: { kind: 'api-key'; apiKey: string } | { kind: 'entra'; azureConfigDir: string };
    };

export interface ResolvedProvider {
  plan: ProviderPlan;
  /** Values the redactor and the log mask must know (keys, session tokens, private keys). */
  secrets: string[];
  /** One line for the log: where Claude is reached and how taskcap signs in. */
  description: string;
}

type Env = Record<string, string | undefined>;

export interface ProviderWorld {
  env: Env;
  readFile?: (file: string) => string;
  exists?: (file: string) => boolean;
  home?: string;
}

const value = (env: Env, name: string) => (env[name] !== undefined && env[name] !== '' ? env[name] : undefined);

function refuseForeignInputs(provider: ProviderName, given: string[]): void {
  const own = PROVIDER_INPUT_NAMES[provider];
  const foreign = given.filter((name) => !own.includes(name));
  if (foreign.length === 0) return;
  const owners = foreign.map((name) => (Object.entries(PROVIDER_INPUT_NAMES).find(([, names]) => names.includes(name)) ?? ['?'])[0]);
  throw new UserError(
    `provider is '${provider}', but ${foreign.map((n, i) => `'${n}' (for ${owners[i]})`).join(', ')} ${foreign.length === 1 ? 'is' : 'are'} set too: taskcap signs in exactly one way per run. Remove ${foreign.length === 1 ? 'it' : 'them'}, or set provider: ${owners[0]}.`,
  );
}

/** Decide the provider plan. `inputs` are the parsed provider inputs plus the Anthropic key input. */
export function resolveProvider(inputs: ProviderInputs & { anthropicApiKey?: string }, world: ProviderWorld): ResolvedProvider {
  const given = givenProviderInputs(inputs, inputs.anthropicApiKey);
  refuseForeignInputs(inputs.provider, given);
  switch (inputs.provider) {
    case 'anthropic':
      return anthropic(inputs, world.env);
    case 'bedrock':
      return bedrock(inputs, world.env);
    case 'vertex':
      return vertex(inputs, world);
    case 'foundry':
      return foundry(inputs, world);
  }
}

function anthropic(inputs: ProviderInputs & { anthropicApiKey?: string }, env: Env): ResolvedProvider {
  const f = inputs.federation;
  const federationInputs = Object.entries({
    'anthropic-federation-rule-id': f.ruleId,
    'anthropic-organization-id': f.organizationId,
    'anthropic-service-account-id': f.serviceAccountId,
    'anthropic-workspace-id': f.workspaceId,
    'anthropic-oidc-audience': f.audience,
  }).filter(([, v]) => v !== undefined);
  const keyless = federationInputs.length > 0;
  // The step's own ANTHROPIC_BASE_URL is read here, not left to the SDK: the client gets every setting explicitly.
  const baseURL = inputs.baseUrl ?? value(env, 'ANTHROPIC_BASE_URL');
  const where = inputs.baseUrl ? ` at ${baseURL}` : baseURL ? ` at ${baseURL} (ANTHROPIC_BASE_URL)` : '';
  if (inputs.anthropicApiKey && keyless) {
    throw new UserError(
      `Two ways to sign in to the Claude API are configured: 'anthropic-api-key' and keyless sign-in (${federationInputs.map(([n]) => `'${n}'`).join(', ')}). taskcap uses exactly one: remove the key to sign in with the workflow's OIDC token, or remove the anthropic-federation-* inputs.`,
    );
  }
  if (inputs.anthropicApiKey) {
    return { plan: { provider: 'anthropic', auth: { kind: 'api-key', apiKey: inputs.anthropicApiKey }, baseURL }, secrets: [inputs.anthropicApiKey], description: `the Claude API${where}, with an API key` };
  }
  if (!keyless) {
    throw new UserError(
      "No way to sign in to the Claude API is configured: input 'anthropic-api-key' is empty. Pass it from a repository secret (`anthropic-api-key: ${{ secrets.ANTHROPIC_API_KEY }}`; secrets are not available to workflows triggered from forks), or sign in without a key: set 'anthropic-federation-rule-id' and 'anthropic-organization-id' and give the job `permissions: id-token: write`. For Amazon Bedrock, Google Vertex AI or Microsoft Foundry, set 'provider'.",
    );
  }
  if (!f.ruleId || !f.organizationId) {
    const missing = [!f.ruleId && 'anthropic-federation-rule-id', !f.organizationId && 'anthropic-organization-id'].filter(Boolean);
    throw new UserError(`Keyless sign-in needs ${missing.map((m) => `'${m}'`).join(' and ')} as well (from the Console's workload identity page).`);
  }
  if (!value(env, 'ACTIONS_ID_TOKEN_REQUEST_URL') || !value(env, 'ACTIONS_ID_TOKEN_REQUEST_TOKEN')) {
    throw new UserError(
      "Keyless sign-in needs the workflow's OIDC token, but the runner did not offer one (ACTIONS_ID_TOKEN_REQUEST_URL is not set). Give the job `permissions: id-token: write` (and keep the other permissions it needs).",
    );
  }
  const audience = f.audience ?? DEFAULT_OIDC_AUDIENCE;
  return {
    plan: {
      provider: 'anthropic',
      auth: { kind: 'federation', ruleId: f.ruleId, organizationId: f.organizationId, serviceAccountId: f.serviceAccountId, workspaceId: f.workspaceId, audience },
      baseURL,
    },
    secrets: [env.ACTIONS_ID_TOKEN_REQUEST_URL!, env.ACTIONS_ID_TOKEN_REQUEST_TOKEN!],
    description: `the Claude API${where}, signed in with the workflow's OIDC token (federation rule ${f.ruleId}, audience ${audience})`,
  };
}

function bedrock(inputs: ProviderInputs, env: Env): ResolvedProvider {
  const region = inputs.awsRegion ?? value(env, 'AWS_REGION') ?? value(env, 'AWS_DEFAULT_REGION');
  if (!region) {
    throw new UserError(
      "provider: bedrock needs an AWS region: set input 'aws-region' (e.g. aws-region: us-east-1), or run aws-actions/configure-aws-credentials with aws-region before taskcap (it sets AWS_REGION).",
    );
  }
  const mantleUrl = value(env, 'ANTHROPIC_BEDROCK_MANTLE_BASE_URL');
  const runtimeUrl = value(env, 'ANTHROPIC_BEDROCK_BASE_URL');
  if (mantleUrl && runtimeUrl) {
    throw new UserError(
      `Both ANTHROPIC_BEDROCK_BASE_URL ('${runtimeUrl}') and ANTHROPIC_BEDROCK_MANTLE_BASE_URL ('${mantleUrl}') are set: the first selects Bedrock's InvokeModel endpoint, the second its Messages API endpoint. Keep one.`,
    );
  }
  const bearer = value(env, 'AWS_BEARER_TOKEN_BEDROCK');
  const accessKeyId = value(env, 'AWS_ACCESS_KEY_ID');
  const secretAccessKey = value(env, 'AWS_SECRET_ACCESS_KEY');
  const sessionToken = value(env, 'AWS_SESSION_TOKEN');
  if (Boolean(accessKeyId) !== Boolean(secretAccessKey)) {
    throw new UserError(
      `AWS credentials are incomplete: ${accessKeyId ? 'AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not' : 'AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not'}. Let aws-actions/configure-aws-credentials set both (role-to-assume with id-token: write).`,
    );
  }
  if (bearer && accessKeyId) {
    throw new UserError(
      'Two ways to sign in to Amazon Bedrock are configured: a Bedrock API key (AWS_BEARER_TOKEN_BEDROCK) and AWS credentials (AWS_ACCESS_KEY_ID). taskcap uses exactly one: unset AWS_BEARER_TOKEN_BEDROCK to sign requests with the credentials, or drop the credentials step.',
    );
  }
  if (!bearer && !accessKeyId) {
    throw new UserError(
      'No way to sign in to Amazon Bedrock is configured: run aws-actions/configure-aws-credentials before taskcap (role-to-assume, with `permissions: id-token: write`), which sets AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN; or pass a Bedrock API key as AWS_BEARER_TOKEN_BEDROCK in the step\'s env.',
    );
  }
  const api = mantleUrl ? 'mantle' : 'invoke';
  const baseURL = mantleUrl ?? runtimeUrl;
  const auth: BedrockAuth = bearer ? { kind: 'bedrock-api-key', apiKey: bearer } : { kind: 'aws-credentials', accessKeyId: accessKeyId!, secretAccessKey: secretAccessKey!, sessionToken };
  const endpoint = api === 'mantle' ? 'Messages API endpoint (bedrock-mantle)' : 'InvokeModel (bedrock-runtime)';
  return {
    plan: { provider: 'bedrock', api, region, auth, baseURL },
    secrets: [bearer, accessKeyId, secretAccessKey, sessionToken].filter((s): s is string => Boolean(s)),
    description: `Amazon Bedrock ${endpoint} in ${region}${baseURL ? ` at ${baseURL}` : ''}, ${bearer ? 'with a Bedrock API key' : sessionToken ? 'with temporary AWS credentials' : 'with AWS credentials'}`,
  };
}

const GOOGLE_TYPES = ['service_account', 'external_account', 'authorized_user', 'impersonated_service_account'];

function vertex(inputs: ProviderInputs, world: ProviderWorld): ResolvedProvider {
  const env = world.env;
  const region = inputs.gcpRegion ?? value(env, 'CLOUD_ML_REGION');
  if (!region) {
    throw new UserError("provider: vertex needs a region: set input 'gcp-region' (e.g. gcp-region: us-east5, or global), or CLOUD_ML_REGION in the step's env.");
  }
  const file = value(env, 'GOOGLE_APPLICATION_CREDENTIALS');
  if (!file) {
    throw new UserError(
      "No way to sign in to Google Vertex AI is configured: GOOGLE_APPLICATION_CREDENTIALS is not set. Run google-github-actions/auth before taskcap (workload_identity_provider and service_account, with `permissions: id-token: write`); it writes the credentials file and sets the variable.",
    );
  }
  let text: string;
  try {
    text = (world.readFile ?? ((f) => fs.readFileSync(f, 'utf8')))(file);
  } catch (e) {
    throw new UserError(`The Google credentials file '${file}' (GOOGLE_APPLICATION_CREDENTIALS) cannot be read: ${(e as Error).message}. Run google-github-actions/auth in the same job, before taskcap.`);
  }
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw new UserError(`The Google credentials file '${file}' (GOOGLE_APPLICATION_CREDENTIALS) is not JSON. Point it at the file google-github-actions/auth writes.`);
  }
  const type = typeof json.type === 'string' ? json.type : '';
  if (!GOOGLE_TYPES.includes(type)) {
    throw new UserError(`The Google credentials file '${file}' has type '${type || 'none'}'; Vertex AI needs one of ${GOOGLE_TYPES.join(', ')}.`);
  }
  const fromFile = [json.project_id, json.quota_project_id].find((p): p is string => typeof p === 'string' && p !== '');
  const projectId = inputs.gcpProject ?? value(env, 'ANTHROPIC_VERTEX_PROJECT_ID') ?? value(env, 'GOOGLE_CLOUD_PROJECT') ?? fromFile;
  if (!projectId) {
    throw new UserError("provider: vertex needs a Google Cloud project: set input 'gcp-project' (e.g. gcp-project: my-project-123), or ANTHROPIC_VERTEX_PROJECT_ID in the step's env.");
  }
  const secrets = googleSecrets(json);
  return {
    plan: { provider: 'vertex', region, projectId, auth: { kind: 'google-credentials', credentials: { file, json, type } }, baseURL: value(env, 'ANTHROPIC_VERTEX_BASE_URL') },
    secrets,
    description: `Google Vertex AI in ${region}, project ${projectId}${value(env, 'ANTHROPIC_VERTEX_BASE_URL') ? ` at ${env.ANTHROPIC_VERTEX_BASE_URL}` : ''}, with ${type === 'external_account' ? 'workload identity federation' : type.replace(/_/g, ' ')} credentials`,
  };
}

/** The secret values inside a Google credentials file (keys, refresh tokens, the OIDC request header). */
function googleSecrets(json: Record<string, unknown>): string[] {
  const out: string[] = [];
  for (const k of ['private_key', 'private_key_id', 'refresh_token', 'client_secret']) if (typeof json[k] === 'string') out.push(json[k] as string);
  const source = json.credential_source as { headers?: Record<string, unknown>; url?: unknown } | undefined;
  for (const v of Object.values(source?.headers ?? {})) if (typeof v === 'string') out.push(v.replace(/^bearer\s+/i, ''), v);
  if (typeof source?.url === 'string') out.push(source.url);
  return out;
}

function foundry(inputs: ProviderInputs, world: ProviderWorld): ResolvedProvider {
  const env = world.env;
  const baseURL = value(env, 'ANTHROPIC_FOUNDRY_BASE_URL');
  const resource = baseURL ? undefined : (inputs.foundryResource ?? value(env, 'ANTHROPIC_FOUNDRY_RESOURCE'));
  if (!baseURL && !resource) {
    throw new UserError(
      "provider: foundry needs the Foundry resource: set input 'foundry-resource' (the name in https://<resource>.services.ai.azure.com), or ANTHROPIC_FOUNDRY_RESOURCE / ANTHROPIC_FOUNDRY_BASE_URL in the step's env.",
    );
  }
  const inputKey = inputs.foundryApiKey;
  const envKey = value(env, 'ANTHROPIC_FOUNDRY_API_KEY');
  if (inputKey && envKey && inputKey !== envKey) {
    throw new UserError("Two Foundry API keys are configured: input 'foundry-api-key' and ANTHROPIC_FOUNDRY_API_KEY differ. Keep one.");
  }
  const where = baseURL ? `at ${baseURL} (ANTHROPIC_FOUNDRY_BASE_URL)` : `resource ${resource}`;
  const apiKey = inputKey ?? envKey;
  if (apiKey) {
    return { plan: { provider: 'foundry', resource, baseURL, auth: { kind: 'api-key', apiKey } }, secrets: [apiKey], description: `Microsoft Foundry ${where}, with an API key` };
  }
  const azureConfigDir = value(env, 'AZURE_CONFIG_DIR') ?? path.join(world.home ?? os.homedir(), '.azure');
  const exists = world.exists ?? ((f: string) => fs.existsSync(f));
  if (!exists(path.join(azureConfigDir, 'azureProfile.json'))) {
    throw new UserError(
      `No way to sign in to Microsoft Foundry is configured: input 'foundry-api-key' is empty and there is no Azure CLI session (no ${path.join(azureConfigDir, 'azureProfile.json')}). Run azure/login before taskcap (client-id, tenant-id, subscription-id, with \`permissions: id-token: write\`) to sign in with Microsoft Entra ID, or pass 'foundry-api-key' from a secret.`,
    );
  }
  return {
    plan: { provider: 'foundry', resource, baseURL, auth: { kind: 'entra', azureConfigDir } },
    secrets: [],
    description: `Microsoft Foundry ${where}, with a Microsoft Entra ID token from the Azure CLI session`,
  };
}

export const providerLabel = (p: ProviderPlan) => PROVIDER_LABELS[p.provider];
