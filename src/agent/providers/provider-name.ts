/** Where Claude is reached. The contract's `provider` input takes exactly these. */
export const PROVIDERS = ['anthropic', 'bedrock', 'vertex', 'foundry'] as const;
export type ProviderName = (typeof PROVIDERS)[number];

/** How the receipt and the log name each provider. */
export const PROVIDER_LABELS: Readonly<Record<ProviderName, string>> = {
  anthropic: 'the Claude API',
  bedrock: 'Amazon Bedrock',
  vertex: 'Google Vertex AI',
  foundry: 'Microsoft Foundry',
};

export const isProviderName = (v: string): v is ProviderName => (PROVIDERS as readonly string[]).includes(v);
