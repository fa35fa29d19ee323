/** The provider of one taskcap run: resolved from the inputs and the step's environment, with its credential vault. */
import type { Inputs } from '../../action/inputs.js';
import { CredentialVault, credentialPaths } from './credential-vault.js';
import { resolveProvider, type ProviderPlan, type ResolvedProvider } from './resolve-provider.js';

export type RunProvider = ResolvedProvider & { vault: CredentialVault };

export function providerForRun(inputs: Pick<Inputs, 'provider' | 'anthropicApiKey'>, env: Record<string, string | undefined>, workspace: string): RunProvider {
  const resolved = resolveProvider({ ...inputs.provider, anthropicApiKey: inputs.anthropicApiKey }, { env, home: env.HOME });
  const plan = resolved.plan;
  const dirs = plan.provider === 'foundry' && plan.auth.kind === 'entra' ? [plan.auth.azureConfigDir] : [];
  // The runner's OIDC request URL is a credential whichever provider is used (a job may have id-token: write for a
  // cloud's setup step): never echoed, like its request token (secret by its name).
  const secrets = env.ACTIONS_ID_TOKEN_REQUEST_URL ? [...new Set([...resolved.secrets, env.ACTIONS_ID_TOKEN_REQUEST_URL])] : resolved.secrets;
  return { ...resolved, secrets, vault: new CredentialVault(credentialPaths(env, workspace, dirs)) };
}

/** The region that shapes a provider's model ids (Bedrock's geo prefixes), if any. */
export const providerRegion = (plan: ProviderPlan): string | undefined => (plan.provider === 'bedrock' ? plan.region : undefined);
