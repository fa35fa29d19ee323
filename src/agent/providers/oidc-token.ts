/**
 * The workflow's OIDC token for an audience, from the runner (ACTIONS_ID_TOKEN_REQUEST_URL with
 * ACTIONS_ID_TOKEN_REQUEST_TOKEN as a bearer; the job needs `permissions: id-token: write`). Asked for afresh each
 * time: GitHub's tokens live minutes and a federation exchange accepts each once. Unlike the toolkit's helper, this
 * never logs the request URL, which the contract counts among the credentials.
 */
import { UserError } from '../../util/errors.js';

export function githubOidcToken(env: Record<string, string | undefined>, fetchImpl: typeof fetch = globalThis.fetch) {
  return async (audience: string): Promise<string> => {
    const base = env.ACTIONS_ID_TOKEN_REQUEST_URL;
    const bearer = env.ACTIONS_ID_TOKEN_REQUEST_TOKEN;
    if (!base || !bearer) throw new UserError('The runner offers no OIDC token: give the job `permissions: id-token: write`.');
    const url = new URL(base);
    url.searchParams.set('audience', audience);
    const res = await fetchImpl(url, { headers: { Authorization: `Bearer ${bearer}`, Accept: 'application/json; api-version=2.0' } });
    if (!res.ok) throw new UserError(`The runner refused the workflow's OIDC token (HTTP ${res.status}). Check that the job has \`permissions: id-token: write\`.`);
    const body = (await res.json().catch(() => ({}))) as { value?: unknown };
    if (typeof body.value !== 'string' || body.value === '') throw new UserError("The runner's OIDC token answer had no token in it.");
    return body.value;
  };
}
