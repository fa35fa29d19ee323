/**
 * Text someone else wrote (a label, a word of a command), shown as inline code in a comment: backticks and line
 * breaks removed so it cannot close the span or start markdown of its own, and cut to a readable length.
 */
export function code(text: string, max = 80): string {
  const flat = text.replace(/[`\r\n]+/g, ' ').trim();
  return `\`${flat.length > max ? `${flat.slice(0, max - 1)}…` : flat || ' '}\``;
}
