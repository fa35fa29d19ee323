/**
 * Cloud credentials a workflow's setup steps put in the step's environment (aws-actions/configure-aws-credentials,
 * google-github-actions/auth, azure/login) and the runner's OIDC request variables. Agent commands never get them,
 * whatever `allowed-env` says: they are how taskcap reaches Claude, exactly like the Anthropic key.
 */
export const CLOUD_CREDENTIAL_ENV =
  /^(?:AWS_ACCESS_KEY_ID|AWS_SECRET_ACCESS_KEY|AWS_SESSION_TOKEN|AWS_SECURITY_TOKEN|AWS_BEARER_TOKEN_BEDROCK|AWS_WEB_IDENTITY_TOKEN_FILE|AWS_ROLE_ARN|AWS_CONTAINER_.*|AWS_SHARED_CREDENTIALS_FILE|AWS_CONFIG_FILE|AWS_PROFILE|GOOGLE_APPLICATION_CREDENTIALS|GOOGLE_GHA_CREDS_PATH|GOOGLE_OAUTH_ACCESS_TOKEN|CLOUDSDK_AUTH_.*|AZURE_.*|ARM_CLIENT_SECRET|ARM_OIDC_.*|ACTIONS_ID_TOKEN_REQUEST_.*)$/i;
