/**
 * GitHub answers a write the job's token may not make with 403 "Resource not accessible by integration", which
 * names neither the permission nor the fix. `needs(line)` turns that answer into one that says which line the
 * job's `permissions:` block lacks; the status and response stay, so callers that branch on them still can.
 */
export function needs(permission: string): (error: unknown) => never {
  return (error) => {
    const e = error as { status?: number; message?: string; response?: unknown };
    if (e?.status === 403 && /Resource not accessible by (integration|personal access token)/i.test(e.message ?? '')) {
      throw Object.assign(new Error(`${e.message} (the token may not do this: give the job \`${permission}\` under \`permissions:\`)`), {
        status: e.status,
        response: e.response,
      });
    }
    throw error;
  };
}
