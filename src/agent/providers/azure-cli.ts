/**
 * A Microsoft Entra ID access token from the Azure CLI session azure/login leaves (`az account get-access-token`),
 * the way Azure's own credential chain reads it in CI. The command runs with a minimal environment: PATH, HOME and
 * the session directory, nothing else of the step's.
 */
import { UserError } from '../../util/errors.js';

export type RunCommand = (file: string, args: string[], env: Record<string, string>) => Promise<{ code: number | null; stdout: string; stderr: string }>;

export function azureCliToken(run: RunCommand, env: Record<string, string | undefined>) {
  return async (resource: string, configDir: string): Promise<{ token: string; expiresAt: number }> => {
    const r = await run('az', ['account', 'get-access-token', '--resource', resource, '--output', 'json'], {
      PATH: env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
      HOME: env.HOME ?? '/',
      AZURE_CONFIG_DIR: configDir,
      AZURE_CORE_NO_COLOR: '1',
      AZURE_CORE_COLLECT_TELEMETRY: '0',
    });
    if (r.code !== 0) {
      const said = (r.stderr || r.stdout).trim().split('\n').slice(-2).join(' ').slice(0, 400);
      throw new UserError(`The Azure CLI could not give an Entra ID token for Microsoft Foundry (az account get-access-token exited ${r.code ?? 'without a code'}: ${said}). Run azure/login before taskcap in the same job.`);
    }
    let parsed: { accessToken?: unknown; expires_on?: unknown; expiresOn?: unknown };
    try {
      parsed = JSON.parse(r.stdout) as typeof parsed;
    } catch {
      throw new UserError('The Azure CLI answered az account get-access-token with something that is not JSON.');
    }
    if (typeof parsed.accessToken !== 'string' || parsed.accessToken === '') throw new UserError('The Azure CLI gave no accessToken for Microsoft Foundry.');
    const epoch = Number(parsed.expires_on);
    const expiresAt = Number.isFinite(epoch) && epoch > 0 ? epoch * 1000 : Date.parse(String(parsed.expiresOn ?? '')) || Date.now() + 30 * 60_000;
    return { token: parsed.accessToken, expiresAt };
  };
}
