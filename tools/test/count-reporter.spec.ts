import { describe, expect, it } from 'vitest';
import { failureExcerpt } from '../count-reporter.js';

describe('failureExcerpt (the summary line of a failed test)', () => {
  it('is empty without errors', () => {
    expect(failureExcerpt(undefined)).toBe('');
    expect(failureExcerpt([])).toBe('');
  });

  it('indents the message under the name, without colours, naming a non-plain error type', () => {
    const out = failureExcerpt([{ name: 'AssertionError', message: '\u001b[31mexpected 12 to be less than 9\u001b[39m' }]);
    expect(out).toBe('\n      AssertionError: expected 12 to be less than 9');
  });

  it('keeps the first lines of a long message and says how many were left out', () => {
    const message = Array.from({ length: 20 }, (_, i) => `line ${i}`).join('\n');
    const lines = failureExcerpt([{ name: 'Error', message }]).split('\n').slice(1);
    expect(lines).toHaveLength(9);
    expect(lines[0]).toBe('      line 0');
    expect(lines[7]).toBe('      line 7');
    expect(lines[8]).toBe('      … (12 more lines in the log above)');
  });

  it('cuts long lines, skips blank ones and counts errors beyond two', () => {
    const long = 'x'.repeat(1000);
    const out = failureExcerpt([{ message: `${long}\n\n\nend` }, { message: 'second' }, { message: 'third' }, { message: 'fourth' }]);
    const lines = out.split('\n').slice(1).map((l) => l.trim());
    expect(lines[0]).toBe(`${'x'.repeat(240)}…`);
    expect(lines.slice(1)).toEqual(['end', 'second', '… and 2 more errors']);
  });

  it('survives a message that is not a string', () => {
    expect(failureExcerpt([{ message: 42 }])).toBe('\n      42');
  });
});
