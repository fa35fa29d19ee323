// Amazon Bedrock through the bundle: InvokeModel with SigV4-signed requests (temporary credentials, as
// aws-actions/configure-aws-credentials leaves them) and AWS event-stream framing.
import { expect } from '@jest/globals';
import { providerSuite } from './provider-cases.js';

providerSuite({
  kind: 'bedrock',
  label: 'Amazon Bedrock',
  provider: 'bedrock',
  model: 'eu.anthropic.claude-opus-4-7',
  sentModel: 'eu.anthropic.claude-opus-4-7',
  transient: { status: 429, type: 'rate_limit_error', message: 'Too many requests, please wait before trying again.' },
  refuse: ['task-budget', 'cache-control'],
  wire(world, requests) {
    for (const q of requests) {
      expect(q.path).toBe('/model/eu.anthropic.claude-opus-4-7/invoke-with-response-stream');
      expect(String(q.headers.authorization)).toMatch(/^AWS4-HMAC-SHA256 Credential=ASIA[0-9A-F]+\/\d{8}\/eu-west-1\/bedrock\/aws4_request/);
      expect(q.headers['x-amz-security-token']).toBe(world.provider!.secrets.awsSessionToken);
      // The task budget travels in the body on InvokeModel; the fake put it back in `betas`.
      expect(q.betas).toContain('task-budgets-2026-03-13');
      expect(q.body.output_config).toEqual({ effort: 'high', task_budget: { type: 'tokens', total: 50_000 } });
    }
  },
});
