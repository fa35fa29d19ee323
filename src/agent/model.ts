import type Anthropic from '@anthropic-ai/sdk';
import type { BetaMessage, MessageCreateParamsBase } from '@anthropic-ai/sdk/resources/beta/messages/messages';
import type { ReportedUsage } from '../budget/usage.js';

export type ModelParams = Omit<MessageCreateParamsBase, 'stream' | 'betas'>;

export interface ModelCall {
  params: ModelParams;
  betas: string[];
}

export interface ModelResponse {
  message: BetaMessage;
  requestId?: string;
}

export type FailureKind =
  /** The caller aborted (timeout, cancellation). */
  | 'aborted'
  /** Worth another attempt: overload, 5xx, a rate limit that names its wait, a dropped connection or stream. */
  | 'transient'
  /** Retrying cannot help: bad request, auth, billing, a spend limit. */
  | 'fatal';

/** A failed model request, classified once here so the loop never inspects SDK error classes. */
export class ModelFailure extends Error {
  override name = 'ModelFailure';
  constructor(
    message: string,
    readonly kind: FailureKind,
    readonly details: {
      status?: number;
      errorType?: string;
      errorCode?: string;
      requestId?: string;
      /** From `retry-after` (seconds) or `retry-after-ms`. */
      retryAfterMs?: number;
      /** Usage the API had already reported before the failure: billed, so metered. */
      partialUsage?: ReportedUsage;
      /** Bytes of content streamed before the failure (its output count arrives only at the end of a stream). */
      streamedBytes?: number;
    } = {},
  ) {
    super(message);
  }
}

/** One model request (one attempt): taskcap owns retries so each attempt is logged and metered. */
export interface ModelPort {
  send(call: ModelCall, options: { signal: AbortSignal; timeoutMs: number }): Promise<ModelResponse>;
  /** Request features the provider does not take, which taskcap switched off (see providers/capabilities.ts). */
  switchedOff?(): readonly string[];
  /**
   * The prompt tokens `call` would be billed for (input + cache writes + cache reads), without sending it. Free on
   * the Claude API (its own rate limit); a provider without counting leaves this out, and taskcap plans with its
   * byte bound instead. Throws a ModelFailure like `send`.
   */
  countTokens?(call: ModelCall, options: { signal: AbortSignal; timeoutMs: number }): Promise<number>;
}

/**
 * Error types worth another attempt: the API's own, and the AWS exception frames Bedrock streams (the Bedrock client
 * names them in camel case: throttlingException, …).
 */
const TRANSIENT_TYPES = new Set(
  ['overloaded_error', 'api_error', 'timeout_error', 'rate_limit_error', 'throttlingException', 'serviceUnavailableException', 'internalServerException', 'modelStreamErrorException', 'modelNotReadyException'].map((t) => t.toLowerCase()),
);

/** How failures are worded and judged for the platform that answered. */
export interface FailureWording {
  /** "the Anthropic API", "Amazon Bedrock", … */
  name: string;
  /** What to check after a 401/403. */
  authHint: string;
  /**
   * Cloud platforms answer 429 without `retry-after` when they throttle: back off and retry. On the Anthropic API
   * such a 429 is a spend limit that keeps failing until access resumes: stop.
   */
  retryBare429: boolean;
}

export const ANTHROPIC_WORDING: FailureWording = { name: 'the Anthropic API', authHint: 'Check the `anthropic-api-key` secret.', retryBare429: false };

function retryAfterMs(headers: Headers | undefined): number | undefined {
  const ms = Number(headers?.get('retry-after-ms'));
  if (Number.isFinite(ms) && ms > 0) return ms;
  const raw = headers?.get('retry-after');
  if (!raw) return undefined;
  const s = Number(raw);
  if (Number.isFinite(s) && s >= 0) return s * 1000;
  const date = Date.parse(raw);
  return Number.isFinite(date) ? Math.max(0, date - Date.now()) : undefined;
}

/**
 * The SDK module, passed in rather than imported: it is the largest part of the bundle, and loading it while the
 * first GitHub calls are in flight keeps it off the path to the first request.
 */
export type Sdk = typeof import('@anthropic-ai/sdk');
type SdkErrors = Pick<Sdk, 'APIConnectionError' | 'APIError' | 'APIUserAbortError'>;

/** Map whatever the SDK threw to a ModelFailure with the cause named for the workflow author. */
export function classifyFailure(
  error: unknown,
  sdk: SdkErrors,
  requestId?: string,
  partialUsage?: ReportedUsage,
  streamedBytes?: number,
  wording: FailureWording = ANTHROPIC_WORDING,
): ModelFailure {
  const { APIConnectionError, APIError, APIUserAbortError } = sdk;
  const api = wording.name;
  const base = { requestId, partialUsage, streamedBytes };
  if (error instanceof ModelFailure) return error;
  if (error instanceof APIUserAbortError) return new ModelFailure('request aborted', 'aborted', base);
  if (error instanceof APIConnectionError) {
    return new ModelFailure(`connection to ${api} failed: ${error.message}${error.cause instanceof Error && error.cause.message !== error.message ? ` (${error.cause.message})` : ''}`, 'transient', base);
  }
  if (error instanceof APIError) {
    const status = error.status;
    const errorType = error.type ?? undefined;
    const errorCode = error.errorCode ?? undefined;
    const wait = retryAfterMs(error.headers);
    const details = { ...base, status, errorType, errorCode, retryAfterMs: wait, requestId: error.requestID ?? requestId };
    // Platforms that answer with their own error body ({message}) leave only the SDK's `<status> <body>` text.
    const said = error.apiMessage ?? error.message.replace(/^\d{3}\s+/, '');
    if (status === undefined) {
      // An `error` event inside a 200 stream: the SDK does not retry these, taskcap does when the type is transient.
      const kind = errorType && TRANSIENT_TYPES.has(errorType.toLowerCase()) ? 'transient' : 'fatal';
      return new ModelFailure(`the stream failed: ${errorType ?? 'error'}: ${said}`, kind, details);
    }
    if (status === 429) {
      // On the Anthropic API a 429 without retry-after is a spend limit that keeps failing until access resumes:
      // stop, don't hammer. A cloud platform's bare 429 is throttling: back off.
      if ((wait === undefined && !wording.retryBare429) || errorCode?.includes('spend_limit')) {
        return new ModelFailure(
          `${api} refused with a spend limit (429 ${errorCode ?? errorType ?? ''}): ${said}. Raise the workspace or organization spend limit, then re-run.`,
          'fatal',
          details,
        );
      }
      return new ModelFailure(`rate limited (429): ${said}`, 'transient', details);
    }
    if (status === 401) return new ModelFailure(`${api} rejected the credentials (401): ${said}. ${wording.authHint}`, 'fatal', details);
    if (status === 402) return new ModelFailure(`billing problem (402): ${said}. Check the Anthropic account's billing.`, 'fatal', details);
    if (status === 403) return new ModelFailure(`permission denied (403): ${said}${api === ANTHROPIC_WORDING.name ? '' : `. ${wording.authHint}`}`, 'fatal', details);
    if (status === 408 || status === 409 || status >= 500) return new ModelFailure(`${api} answered ${status}: ${said}`, 'transient', details);
    return new ModelFailure(`${api} rejected the request (${status}): ${said}`, 'fatal', details);
  }
  // A stream that ended without a message, a socket reset surfaced as a plain Error, a JSON glitch: retry.
  const message = error instanceof Error ? error.message : String(error);
  return new ModelFailure(`the response stream broke: ${message}`, 'transient', base);
}

/** What the port needs of a client: the beta Messages stream, which every platform client has, and counting where offered. */
export interface StreamingClient {
  beta: { messages: Pick<Anthropic['beta']['messages'], 'stream'> & Partial<Pick<Anthropic['beta']['messages'], 'countTokens'>> };
}

/**
 * The model port over the real SDK: one streaming request, SDK retries off. `client` is the Anthropic client or one
 * of the platform clients (Bedrock, Vertex, Foundry), which share its `beta.messages.stream`.
 */
export function createAnthropicModel(sdk: SdkErrors, client: StreamingClient, wording: FailureWording = ANTHROPIC_WORDING): ModelPort {
  const countTokens = client.beta.messages.countTokens?.bind(client.beta.messages);
  const port: ModelPort = {
    async send(call, { signal, timeoutMs }) {
      const stream = client.beta.messages.stream(
        { ...call.params, ...(call.betas.length > 0 ? { betas: call.betas as never } : {}) },
        { signal, timeout: timeoutMs, maxRetries: 0 },
      );
      try {
        const message = await stream.finalMessage();
        return { message, requestId: stream.request_id ?? undefined };
      } catch (e) {
        const snapshot = stream.currentMessage;
        const streamedBytes = snapshot ? Buffer.byteLength(JSON.stringify(snapshot.content), 'utf8') : undefined;
        if (signal.aborted && !(e instanceof ModelFailure)) {
          return Promise.reject(new ModelFailure('request aborted', 'aborted', { requestId: stream.request_id ?? undefined, partialUsage: snapshot?.usage, streamedBytes }));
        }
        throw classifyFailure(e, sdk, stream.request_id ?? undefined, snapshot?.usage, streamedBytes, wording);
      }
    },
  };
  // Counting is offered only where the client has it (and the platform takes it): else taskcap keeps its byte bound.
  if (!countTokens) return port;
  port.countTokens = async (call, { signal, timeoutMs }) => {
    // The same request minus what only generation takes (max_tokens): the count is of exactly this prompt.
    const { model, messages, system, tools, thinking, output_config, cache_control, tool_choice } = call.params;
    try {
      const counted = await countTokens(
        { model, messages, system, tools, thinking, output_config, cache_control, tool_choice, ...(call.betas.length > 0 ? { betas: call.betas as never } : {}) },
        { signal, timeout: timeoutMs, maxRetries: 0 },
      );
      return counted.input_tokens;
    } catch (e) {
      throw classifyFailure(e, sdk, undefined, undefined, undefined, wording);
    }
  };
  return port;
}
