import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { formatDuration, Progress } from '../../pipeline/progress';

function sink(): { stream: Writable; text: () => string } {
  let out = '';
  const stream = new Writable({
    write(chunk, _enc, cb) {
      out += String(chunk);
      cb();
    },
  });
  return { stream, text: () => out };
}

describe('progress', () => {
  it('prints plain lines (not a bar) when not on a terminal, with count, rate, ETA and fields', () => {
    const s = sink();
    const p = new Progress({ total: 10, label: 'record', unit: 'ep', stream: s.stream, intervalSec: 0 });
    p.tick(1, { return: 12.5 });
    p.tick(1);
    p.finish();
    const lines = s.text().trim().split('\n');
    expect(lines.length).toBeGreaterThanOrEqual(2);
    expect(lines[0]).toMatch(/^record \| 1\/10 \| .* ep\/s .*\| return 12.5$/);
    expect(lines.at(-1)).toMatch(/2\/10/);
    expect(s.text()).not.toContain('\r');
  });

  it('formats durations', () => {
    expect(formatDuration(5)).toBe('5s');
    expect(formatDuration(125)).toBe('2m05s');
    expect(formatDuration(3 * 3600 + 60)).toBe('3h01m');
    expect(formatDuration(Infinity)).toBe('?');
  });
});
