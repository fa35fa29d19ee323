import { describe, expect, it } from '@jest/globals';
import { azureCliToken } from '../../src/agent/providers/azure-cli.js';
import { githubOidcToken } from '../../src/agent/providers/oidc-token.js';
import { parseProviderInputs } from '../../src/agent/providers/provider-inputs.js';
import { resolveProvider, type ProviderWorld } from '../../src/agent/providers/resolve-provider.js';
import { parseInputs } from '../../src/action/inputs.js';
import { UserError } from '../../src/util/errors.js';

// Every input the runner would give, with the workflow's token as github-token defaults to.
const get = (values: Record<string, string>) => (name: string) => ({ 'github-token': 'ghs_token', ...values })[name] ?? '';
const AWS = { AWS_ACCESS_KEY_ID: 'ASIAEXAMPLEEXAMPLE01', AWS_SECRET_ACCESS_KEY: 'secretAccessKeyExample0000000000000000', AWS_SESSION_TOKEN: 'IQoJb3JpZ2luX2VjEXAMPLESESSION' };
const SA_FILE = '/creds/gha-creds-1234.json';
const EXTERNAL = JSON.stringify({
  type: 'external_account',
  audience: '//iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/gh/providers/gh',
  token_url: 'https://sts.googleapis.com/v1/token',
  credential_source: { url: 'https://runner/oidc?api-version=2.0', headers: { Authorization: 'Bearer runner-request-token-000' }, format: { type: 'json', subject_token_field_name: 'value' } },
});

function resolve(inputs: Record<string, string>, env: Record<string, string | undefined> = {}, world: Partial<ProviderWorld> = {}) {
  const p = parseProviderInputs(get(inputs));
  return resolveProvider({ ...p, anthropicApiKey: inputs['anthropic-api-key'] || undefined }, { env, readFile: () => EXTERNAL, exists: () => false, home: '/home/runner', ...world });
}
function refusal(inputs: Record<string, string>, env: Record<string, string | undefined> = {}, world: Partial<ProviderWorld> = {}): string {
  try {
    resolve(inputs, env, world);
  } catch (e) {
    expect(e).toBeInstanceOf(UserError);
    return (e as Error).message;
  }
  throw new Error('expected a refusal');
}

describe('provider inputs', () => {
  it('default to the Claude API', () => expect(parseProviderInputs(get({})).provider).toBe('anthropic'));

  it.each([
    [{ provider: 'azure' }, "Input 'provider' must be one of anthropic, bedrock, vertex, foundry, got 'azure'."],
    [{ 'aws-region': 'Frankfurt' }, "Input 'aws-region' does not look right, got 'Frankfurt'. Example: aws-region: us-east-1"],
    [{ 'base-url': 'gateway.internal' }, "Input 'base-url' must be a URL such as https://llm-gateway.example.com, got 'gateway.internal'."],
    [{ 'anthropic-federation-rule-id': 'svac_01abc' }, "Input 'anthropic-federation-rule-id' does not look right, got 'svac_01abc'."],
    [{ 'anthropic-organization-id': 'acme' }, "Input 'anthropic-organization-id' does not look right, got 'acme'."],
  ])('name the input and quote the value: %j', (inputs, message) => {
    expect(() => parseProviderInputs(get(inputs))).toThrow(message);
  });

  it('are part of the inputs, and a cloud credential can never be allowlisted for agent commands', () => {
    expect(parseInputs(get({ provider: 'bedrock', 'aws-region': 'eu-west-1' })).provider).toMatchObject({ provider: 'bedrock', awsRegion: 'eu-west-1' });
    for (const name of ['AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'GOOGLE_APPLICATION_CREDENTIALS', 'AZURE_CLIENT_SECRET', 'ACTIONS_ID_TOKEN_REQUEST_TOKEN', 'AWS_BEARER_TOKEN_BEDROCK']) {
      expect(() => parseInputs(get({ 'allowed-env': name }), { [name]: 'x' })).toThrow(`Input 'allowed-env' lists '${name}'`);
    }
    expect(parseInputs(get({ 'allowed-env': 'AWS_REGION' }), { AWS_REGION: 'eu-west-1' }).allowedEnv).toEqual({ AWS_REGION: 'eu-west-1' });
  });
});

describe('exactly one way to sign in: the Claude API', () => {
  it('an API key, at a gateway when base-url says so', () => {
    const r = resolve({ 'anthropic-api-key': 'sk-ant-key-000000', 'base-url': 'https://gw.example.com' });
    expect(r.plan).toEqual({ provider: 'anthropic', auth: { kind: 'api-key', apiKey: 'sk-ant-key-000000' }, baseURL: 'https://gw.example.com' });
    expect(r.secrets).toEqual(['sk-ant-key-000000']);
    expect(r.description).toBe('the Claude API at https://gw.example.com, with an API key');
  });

  it("keyless with the workflow's OIDC token, default audience, the request URL and token treated as secrets", () => {
    const env = { ACTIONS_ID_TOKEN_REQUEST_URL: 'https://runner/token?api-version=2.0', ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'req-token-000000' };
    const r = resolve({ 'anthropic-federation-rule-id': 'fdrl_01abc', 'anthropic-organization-id': '12345678-90ab-cdef-1234-567890abcdef' }, env);
    expect(r.plan.auth).toEqual({ kind: 'federation', ruleId: 'fdrl_01abc', organizationId: '12345678-90ab-cdef-1234-567890abcdef', serviceAccountId: undefined, workspaceId: undefined, audience: 'https://api.anthropic.com' });
    expect(r.secrets).toEqual([env.ACTIONS_ID_TOKEN_REQUEST_URL, env.ACTIONS_ID_TOKEN_REQUEST_TOKEN]);
  });

  it('refuses none, two, half a federation, and keyless without id-token: write', () => {
    expect(refusal({})).toMatch(/^No way to sign in to the Claude API is configured: input 'anthropic-api-key' is empty\..*anthropic-federation-rule-id.*id-token: write.*set 'provider'/);
    expect(refusal({ 'anthropic-api-key': 'sk-ant-key-000000', 'anthropic-federation-rule-id': 'fdrl_01abc' })).toMatch(/^Two ways to sign in to the Claude API are configured/);
    expect(refusal({ 'anthropic-federation-rule-id': 'fdrl_01abc' })).toBe("Keyless sign-in needs 'anthropic-organization-id' as well (from the Console's workload identity page).");
    expect(refusal({ 'anthropic-federation-rule-id': 'fdrl_01abc', 'anthropic-organization-id': '12345678-90ab-cdef-1234-567890abcdef' })).toMatch(/id-token: write/);
  });

  it('refuses inputs meant for another provider', () => {
    expect(refusal({ 'anthropic-api-key': 'sk-ant-key-000000', 'aws-region': 'us-east-1' })).toBe(
      "provider is 'anthropic', but 'aws-region' (for bedrock) is set too: taskcap signs in exactly one way per run. Remove it, or set provider: bedrock.",
    );
  });
});

describe('exactly one way to sign in: Amazon Bedrock', () => {
  it('temporary AWS credentials from the environment, the region from aws-region over AWS_REGION', () => {
    const r = resolve({ provider: 'bedrock', 'aws-region': 'eu-west-1' }, { ...AWS, AWS_REGION: 'us-east-1' });
    expect(r.plan).toMatchObject({ provider: 'bedrock', api: 'invoke', region: 'eu-west-1', auth: { kind: 'aws-credentials', accessKeyId: AWS.AWS_ACCESS_KEY_ID, sessionToken: AWS.AWS_SESSION_TOKEN } });
    expect(r.secrets).toEqual([AWS.AWS_ACCESS_KEY_ID, AWS.AWS_SECRET_ACCESS_KEY, AWS.AWS_SESSION_TOKEN]);
    expect(r.description).toBe('Amazon Bedrock InvokeModel (bedrock-runtime) in eu-west-1, with temporary AWS credentials');
  });

  it("a Bedrock API key; the Messages API endpoint when its base URL is set", () => {
    const r = resolve({ provider: 'bedrock' }, { AWS_BEARER_TOKEN_BEDROCK: 'ABSKexample0000', AWS_DEFAULT_REGION: 'us-west-2', ANTHROPIC_BEDROCK_MANTLE_BASE_URL: 'https://gw/anthropic' });
    expect(r.plan).toMatchObject({ api: 'mantle', region: 'us-west-2', baseURL: 'https://gw/anthropic', auth: { kind: 'bedrock-api-key', apiKey: 'ABSKexample0000' } });
  });

  it('refuses no region, no credentials, half credentials, two ways, two endpoints, and the Anthropic key', () => {
    expect(refusal({ provider: 'bedrock' }, AWS)).toMatch(/^provider: bedrock needs an AWS region: set input 'aws-region'/);
    expect(refusal({ provider: 'bedrock', 'aws-region': 'us-east-1' })).toMatch(/^No way to sign in to Amazon Bedrock is configured: run aws-actions\/configure-aws-credentials/);
    expect(refusal({ provider: 'bedrock', 'aws-region': 'us-east-1' }, { AWS_ACCESS_KEY_ID: 'ASIA0000' })).toMatch(/AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not/);
    expect(refusal({ provider: 'bedrock', 'aws-region': 'us-east-1' }, { ...AWS, AWS_BEARER_TOKEN_BEDROCK: 'ABSK0000' })).toMatch(/^Two ways to sign in to Amazon Bedrock/);
    expect(refusal({ provider: 'bedrock', 'aws-region': 'us-east-1' }, { ...AWS, ANTHROPIC_BEDROCK_BASE_URL: 'https://a', ANTHROPIC_BEDROCK_MANTLE_BASE_URL: 'https://b' })).toMatch(/Keep one\.$/);
    expect(refusal({ provider: 'bedrock', 'aws-region': 'us-east-1', 'anthropic-api-key': 'sk-ant-key-000000' }, AWS)).toMatch(/^provider is 'bedrock', but 'anthropic-api-key' \(for anthropic\) is set too/);
  });
});

describe('exactly one way to sign in: Google Vertex AI', () => {
  it('the credentials file google-github-actions/auth writes, read into memory; the project from GOOGLE_CLOUD_PROJECT', () => {
    const r = resolve({ provider: 'vertex', 'gcp-region': 'us-east5' }, { GOOGLE_APPLICATION_CREDENTIALS: SA_FILE, GOOGLE_CLOUD_PROJECT: 'acme-ml' });
    expect(r.plan).toMatchObject({ provider: 'vertex', region: 'us-east5', projectId: 'acme-ml', auth: { credentials: { file: SA_FILE, type: 'external_account' } } });
    // The runner's request token inside the file is a secret too.
    expect(r.secrets).toEqual(expect.arrayContaining(['runner-request-token-000', 'https://runner/oidc?api-version=2.0']));
    expect(r.description).toBe('Google Vertex AI in us-east5, project acme-ml, with workload identity federation credentials');
  });

  it('refuses no region, no credentials file, an unreadable or foreign file, and no project', () => {
    expect(refusal({ provider: 'vertex' }, { GOOGLE_APPLICATION_CREDENTIALS: SA_FILE })).toMatch(/^provider: vertex needs a region: set input 'gcp-region'/);
    expect(refusal({ provider: 'vertex', 'gcp-region': 'global' })).toMatch(/GOOGLE_APPLICATION_CREDENTIALS is not set\. Run google-github-actions\/auth before taskcap/);
    const unreadable = { readFile: () => { throw new Error('ENOENT: no such file'); } };
    expect(refusal({ provider: 'vertex', 'gcp-region': 'global' }, { GOOGLE_APPLICATION_CREDENTIALS: SA_FILE }, unreadable)).toBe(
      `The Google credentials file '${SA_FILE}' (GOOGLE_APPLICATION_CREDENTIALS) cannot be read: ENOENT: no such file. Run google-github-actions/auth in the same job, before taskcap.`,
    );
    expect(refusal({ provider: 'vertex', 'gcp-region': 'global' }, { GOOGLE_APPLICATION_CREDENTIALS: SA_FILE }, { readFile: () => '{"type":"aws"}' })).toMatch(/has type 'aws'/);
    expect(refusal({ provider: 'vertex', 'gcp-region': 'global' }, { GOOGLE_APPLICATION_CREDENTIALS: SA_FILE })).toMatch(/needs a Google Cloud project: set input 'gcp-project'/);
  });

  it("takes the project from a service-account key when nothing else names one", () => {
    const key = JSON.stringify({ type: 'service_account', project_id: 'from-key', private_key: '-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----\n', client_email: 'x@from-key.iam.gserviceaccount.com' });
    const r = resolve({ provider: 'vertex', 'gcp-region': 'global' }, { GOOGLE_APPLICATION_CREDENTIALS: SA_FILE }, { readFile: () => key });
    expect(r.plan).toMatchObject({ projectId: 'from-key' });
    expect(r.secrets).toContain('-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----\n');
  });
});

describe('exactly one way to sign in: Microsoft Foundry', () => {
  it('an API key from the input; the base URL wins over the resource', () => {
    const r = resolve({ provider: 'foundry', 'foundry-resource': 'acme-ai', 'foundry-api-key': 'fk-000000000' }, { ANTHROPIC_FOUNDRY_BASE_URL: 'https://gw/anthropic/' });
    expect(r.plan).toEqual({ provider: 'foundry', resource: undefined, baseURL: 'https://gw/anthropic/', auth: { kind: 'api-key', apiKey: 'fk-000000000' } });
  });

  it('an Entra token from the azure/login session when there is no key', () => {
    const r = resolve({ provider: 'foundry', 'foundry-resource': 'acme-ai' }, {}, { exists: (f) => f === '/home/runner/.azure/azureProfile.json' });
    expect(r.plan).toEqual({ provider: 'foundry', resource: 'acme-ai', baseURL: undefined, auth: { kind: 'entra', azureConfigDir: '/home/runner/.azure' } });
  });

  it('refuses no resource, two different keys, and no key without an Azure CLI session', () => {
    expect(refusal({ provider: 'foundry', 'foundry-api-key': 'fk-0000' })).toMatch(/^provider: foundry needs the Foundry resource/);
    expect(refusal({ provider: 'foundry', 'foundry-resource': 'acme-ai', 'foundry-api-key': 'fk-0000' }, { ANTHROPIC_FOUNDRY_API_KEY: 'fk-1111' })).toMatch(/^Two Foundry API keys are configured/);
    expect(refusal({ provider: 'foundry', 'foundry-resource': 'acme-ai' })).toMatch(/there is no Azure CLI session \(no \/home\/runner\/\.azure\/azureProfile\.json\)\. Run azure\/login before taskcap/);
  });
});

describe('tokens taskcap asks for', () => {
  it("the workflow's OIDC token: the runner's URL with the audience, the request token as a bearer", async () => {
    const seen: { url: string; auth: string }[] = [];
    const fetchImpl = (async (url: URL, init: RequestInit) => {
      seen.push({ url: String(url), auth: new Headers(init.headers).get('authorization') ?? '' });
      return new Response(JSON.stringify({ value: 'eyJ.jwt.sig' }), { status: 200 });
    }) as unknown as typeof fetch;
    const token = await githubOidcToken({ ACTIONS_ID_TOKEN_REQUEST_URL: 'https://runner/idtoken?api-version=2.0', ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'req-tok' }, fetchImpl)('https://api.anthropic.com');
    expect(token).toBe('eyJ.jwt.sig');
    expect(seen).toEqual([{ url: 'https://runner/idtoken?api-version=2.0&audience=https%3A%2F%2Fapi.anthropic.com', auth: 'Bearer req-tok' }]);
    const refused = (async () => new Response('', { status: 403 })) as unknown as typeof fetch;
    await expect(githubOidcToken({ ACTIONS_ID_TOKEN_REQUEST_URL: 'https://r/?a=1', ACTIONS_ID_TOKEN_REQUEST_TOKEN: 't' }, refused)('x')).rejects.toThrow('The runner refused the workflow\'s OIDC token (HTTP 403). Check that the job has `permissions: id-token: write`.');
  });

  it('an Entra token from the Azure CLI, run with nothing of the step\'s environment but PATH, HOME and the session', async () => {
    const calls: { args: string[]; env: Record<string, string> }[] = [];
    const run = async (_file: string, args: string[], env: Record<string, string>) => {
      calls.push({ args, env });
      return { code: 0, stdout: JSON.stringify({ accessToken: 'entra-token', expires_on: 1_900_000_000, tokenType: 'Bearer' }), stderr: '' };
    };
    const token = await azureCliToken(run, { PATH: '/usr/bin', HOME: '/home/runner', AWS_SECRET_ACCESS_KEY: 'never' })('https://cognitiveservices.azure.com', '/tmp/copy');
    expect(token).toEqual({ token: 'entra-token', expiresAt: 1_900_000_000_000 });
    expect(calls[0].args).toEqual(['account', 'get-access-token', '--resource', 'https://cognitiveservices.azure.com', '--output', 'json']);
    expect(Object.keys(calls[0].env).sort()).toEqual(['AZURE_CONFIG_DIR', 'AZURE_CORE_COLLECT_TELEMETRY', 'AZURE_CORE_NO_COLOR', 'HOME', 'PATH']);
    const failing = async () => ({ code: 1, stdout: '', stderr: "ERROR: Please run 'az login' to setup account." });
    await expect(azureCliToken(failing, {})('r', '/d')).rejects.toThrow("The Azure CLI could not give an Entra ID token for Microsoft Foundry (az account get-access-token exited 1: ERROR: Please run 'az login' to setup account.). Run azure/login before taskcap in the same job.");
  });
});
