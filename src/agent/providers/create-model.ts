/**
 * The model port for the provider a run uses, built through Anthropic's official client for that platform. Only the
 * client the run needs is loaded (each platform package and its cloud SDK is large), and every client gets its
 * credentials from memory: the credential files were read when the provider was resolved, so they can be moved out
 * of the agent's reach during the loop.
 */
import type { ModelSpec } from '../../config/models.js';
import { createAnthropicModel, type FailureWording, type ModelPort, type Sdk } from '../model.js';
import { CAPABILITIES, featuresOffAtStart, surfaceOf, withCapabilityFallback } from './capabilities.js';
import { PROVIDER_LABELS } from './provider-name.js';
import type { CredentialVault } from './credential-vault.js';
import { FOUNDRY_ENTRA_RESOURCE, type ProviderPlan, type ResolvedProvider } from './resolve-provider.js';

export interface ProviderClientWorld {
  /** The Anthropic SDK module (main.ts loads it early, beside the first GitHub calls). */
  loadSdk(): Promise<Sdk>;
  /** The workflow's OIDC token for an audience (core.getIDToken). */
  fetchIdToken(audience: string): Promise<string>;
  /** An Entra ID access token from the Azure CLI session, for a resource. */
  azureToken(resource: string, azureConfigDir: string): Promise<{ token: string; expiresAt: number }>;
  /** A credential minted during the run: masked in the log and registered with the redactor. */
  onSecret(secret: string): void;
  log: { info(m: string): void; debug(m: string): void };
  /** The step's environment (ANTHROPIC_BASE_URL for the federation token endpoint). */
  env: Record<string, string | undefined>;
}

/** Body version Bedrock's InvokeModel documents; the SDK's default API version is refused there by older models. */
export const BEDROCK_INVOKE_VERSION = 'bedrock-2023-05-31';

const WORDING: Record<ProviderPlan['provider'], FailureWording> = {
  anthropic: { name: 'the Anthropic API', authHint: 'Check the `anthropic-api-key` secret (or the federation rule, for keyless sign-in).', retryBare429: false },
  bedrock: {
    name: 'Amazon Bedrock',
    authHint: "Check the role taskcap runs as: it needs bedrock:InvokeModelWithResponseStream (bedrock-mantle:CreateInference on the Messages API endpoint) on the model, and the model must be enabled in the account's Bedrock model access.",
    retryBare429: true,
  },
  vertex: { name: 'Google Vertex AI', authHint: 'Check that the service account has roles/aiplatform.user on the project and that the Claude model is enabled in Vertex AI Model Garden.', retryBare429: true },
  foundry: { name: 'Microsoft Foundry', authHint: "Check 'foundry-api-key', or that the signed-in identity has the Cognitive Services User role on the Foundry resource.", retryBare429: true },
};

/** Build the model port for a resolved provider and a model. Sign-in problems surface on the first request. */
export async function createProviderModel(resolved: ResolvedProvider & { vault?: CredentialVault }, model: ModelSpec, world: ProviderClientWorld): Promise<ModelPort & { switchedOff(): string[] }> {
  const { plan } = resolved;
  const sdk = await world.loadSdk();
  const wording = WORDING[plan.provider];
  let port: ModelPort;
  switch (plan.provider) {
    case 'anthropic':
      port = createAnthropicModel(sdk, await anthropicClient(plan, sdk, world), wording);
      break;
    case 'bedrock':
      port = await bedrockPort(plan, sdk, wording);
      break;
    case 'vertex':
      port = createAnthropicModel(sdk, await vertexClient(plan), wording);
      break;
    case 'foundry':
      port = createAnthropicModel(sdk, await foundryClient(plan, world, resolved.vault), wording);
      break;
  }
  world.log.debug(`model client ready: ${resolved.description}`);
  const surface = surfaceOf(plan.provider, plan.provider === 'bedrock' ? plan.api : undefined);
  return withCapabilityFallback(port, {
    providerLabel: PROVIDER_LABELS[plan.provider],
    startOff: featuresOffAtStart(surface, model.claudeModel ?? model.id),
    counting: CAPABILITIES[surface].tokenCounting === 'yes',
    log: world.log,
  });
}

async function anthropicClient(plan: Extract<ProviderPlan, { provider: 'anthropic' }>, sdk: Sdk, world: ProviderClientWorld) {
  const baseURL = plan.baseURL;
  if (plan.auth.kind === 'api-key') return new sdk.default({ apiKey: plan.auth.apiKey, baseURL, maxRetries: 0 });
  const auth = plan.auth;
  const { oidcFederationProvider } = await import('@anthropic-ai/sdk/lib/credentials/oidc-federation');
  const exchange = oidcFederationProvider({
    // GitHub's OIDC tokens live minutes and each is accepted once: mint a fresh one for every exchange.
    identityTokenProvider: async () => {
      const token = await world.fetchIdToken(auth.audience);
      world.onSecret(token);
      return token;
    },
    federationRuleId: auth.ruleId,
    organizationId: auth.organizationId,
    serviceAccountId: auth.serviceAccountId,
    workspaceId: auth.workspaceId,
    baseURL: baseURL ?? world.env.ANTHROPIC_BASE_URL ?? 'https://api.anthropic.com',
    fetch: globalThis.fetch,
  });
  return new sdk.default({
    credentials: async (opts) => {
      const access = await exchange(opts);
      world.onSecret(access.token);
      return access;
    },
    baseURL,
    maxRetries: 0,
  });
}

async function bedrockPort(plan: Extract<ProviderPlan, { provider: 'bedrock' }>, sdk: Sdk, wording: FailureWording): Promise<ModelPort> {
  const { AnthropicBedrock, AnthropicBedrockMantle } = await import('@anthropic-ai/bedrock-sdk');
  const auth = plan.auth;
  const keys =
    auth.kind === 'aws-credentials'
      ? { accessKey: auth.accessKeyId, secret: auth.secretAccessKey, session: auth.sessionToken ?? null }
      : { accessKey: null, secret: null, session: null };
  // `apiKey: null` when signing with AWS credentials: the clients must not fall back to AWS_BEARER_TOKEN_BEDROCK.
  const apiKey = auth.kind === 'bedrock-api-key' ? auth.apiKey : null;
  if (plan.api === 'mantle') {
    const client = new AnthropicBedrockMantle({
      awsRegion: plan.region,
      baseURL: plan.baseURL,
      apiKey,
      awsAccessKey: keys.accessKey,
      awsSecretAccessKey: keys.secret,
      awsSessionToken: keys.session,
      maxRetries: 0,
    });
    return createAnthropicModel(sdk, client, wording);
  }
  const common = { awsRegion: plan.region, ...(plan.baseURL ? { baseURL: plan.baseURL } : {}), maxRetries: 0 };
  const client =
    keys.accessKey && keys.secret
      ? new AnthropicBedrock({ ...common, apiKey: null, awsAccessKey: keys.accessKey, awsSecretKey: keys.secret, awsSessionToken: keys.session })
      : new AnthropicBedrock({ ...common, apiKey });
  const inner = createAnthropicModel(sdk, client, wording);
  return {
    // InvokeModel takes the API version in the body; the Messages API's dated versions are refused by older models.
    send: (call, options) => inner.send({ ...call, params: { ...call.params, anthropic_version: BEDROCK_INVOKE_VERSION } as typeof call.params }, options),
  };
}

async function vertexClient(plan: Extract<ProviderPlan, { provider: 'vertex' }>) {
  const [{ AnthropicVertex }, { GoogleAuth }] = await Promise.all([import('@anthropic-ai/vertex-sdk'), import('google-auth-library')]);
  // From memory, not from GOOGLE_APPLICATION_CREDENTIALS: the file is out of the agent's reach during the loop.
  const googleAuth = new GoogleAuth({ credentials: plan.auth.credentials.json as never, scopes: 'https://www.googleapis.com/auth/cloud-platform' });
  return new AnthropicVertex({ region: plan.region, projectId: plan.projectId, ...(plan.baseURL ? { baseURL: plan.baseURL } : {}), googleAuth, maxRetries: 0 });
}

async function foundryClient(plan: Extract<ProviderPlan, { provider: 'foundry' }>, world: ProviderClientWorld, vault?: CredentialVault) {
  const { AnthropicFoundry } = await import('@anthropic-ai/foundry-sdk');
  const where = plan.baseURL ? { baseURL: plan.baseURL, resource: null } : { resource: plan.resource };
  if (plan.auth.kind === 'api-key') return new AnthropicFoundry({ ...where, apiKey: plan.auth.apiKey, maxRetries: 0 });
  const configDir = plan.auth.azureConfigDir;
  // One token for as long as it lives (less a margin): the Azure CLI is slow to start.
  let cached: { token: string; expiresAt: number } | undefined;
  const azureADTokenProvider = async () => {
    if (!cached || cached.expiresAt - Date.now() < 5 * 60_000) {
      // The session directory is out of the agent's reach during the loop: the CLI gets a private copy then.
      cached = vault ? await vault.withPath(configDir, (dir) => world.azureToken(FOUNDRY_ENTRA_RESOURCE, dir)) : await world.azureToken(FOUNDRY_ENTRA_RESOURCE, configDir);
      world.onSecret(cached.token);
    }
    return cached.token;
  };
  return new AnthropicFoundry({ ...where, azureADTokenProvider, maxRetries: 0 });
}
