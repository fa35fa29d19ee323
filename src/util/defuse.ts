/**
 * Text from outside (a model's summary, an issue title) that taskcap writes into a PR, a commit or a comment: an
 * @team or @user would notify people from a bot's text, and a "Fixes #123" would close an unrelated issue on merge
 * (an injected instruction could ask for either). The text stays; the ping and the closing keyword are defused.
 */
export function defuseMentions(text: string): string {
  return text
    .replace(/(^|[^\w`])@(?=[A-Za-z0-9])/g, '$1@\u200b')
    .replace(/\b(close[sd]?|fix(?:e[sd])?|resolve[sd]?)(:?\s+)(?=(?:[\w.-]+\/[\w.-]+)?#\d)/gi, '$1$2\u200b');
}
