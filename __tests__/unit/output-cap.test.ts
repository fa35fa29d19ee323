import { describe, expect, it } from '@jest/globals';
import { CappedCollector, capText, plainTerminalText } from '../../src/tools/output-cap.js';

describe('output caps', () => {
  it('keeps head and tail with a marker that states what was omitted, within the byte cap', () => {
    const text = Array.from({ length: 5000 }, (_, i) => `line ${i}`).join('\n');
    const capped = capText(text, 2000);
    expect(Buffer.byteLength(capped)).toBeLessThanOrEqual(2000);
    expect(capped.startsWith('line 0\n')).toBe(true);
    expect(capped.endsWith('line 4999')).toBe(true);
    expect(capped).toMatch(/… [\d,]+ bytes omitted \(output was [\d,]+ bytes\) …/);
  });

  it('never splits a multi-byte character', () => {
    const capped = capText('é'.repeat(5000), 1001);
    expect(capped).not.toContain('\uFFFD');
    expect(Buffer.byteLength(capped)).toBeLessThanOrEqual(1001);
  });

  it('collects 100 MB of output in bounded memory and reports the total', () => {
    const c = new CappedCollector(4000);
    const chunk = Buffer.alloc(1024 * 1024, 'a');
    for (let i = 0; i < 100; i++) c.push(chunk);
    c.push(Buffer.from('THE END'));
    const out = c.text();
    expect(c.total).toBe(100 * 1024 * 1024 + 7);
    expect(Buffer.byteLength(out)).toBeLessThanOrEqual(4000);
    expect(out.endsWith('THE END')).toBe(true);
    expect(out).toContain('output was 104,857,607 bytes');
  });

  it('returns short output unchanged', () => {
    const c = new CappedCollector(4000);
    c.push(Buffer.from('hello\n'));
    c.push(Buffer.from('world\n'));
    expect(c.text()).toBe('hello\nworld\n');
  });

  it('strips ANSI escapes and collapses carriage-return redraws', () => {
    expect(plainTerminalText('\x1b[32mok\x1b[0m\n10%\r50%\r100%\ndone\x07')).toBe('ok\n100%\ndone');
  });
});
