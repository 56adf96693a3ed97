import { describe, expect, it } from 'vitest';
import { Prng } from '../../pipeline/prng';
import { SumTree } from '../../pipeline/sum-tree';

describe('SumTree', () => {
  it('keeps the total and minimum under updates', () => {
    const t = new SumTree(5);
    t.set(0, 1);
    t.set(3, 4);
    t.set(4, 0.5);
    expect(t.total).toBeCloseTo(5.5, 12);
    expect(t.min).toBe(0.5);
    t.set(4, 0);
    expect(t.total).toBeCloseTo(5, 12);
    expect(t.min).toBe(1);
    t.set(0, 2.5);
    expect(t.total).toBeCloseTo(6.5, 12);
    expect(t.get(0)).toBe(2.5);
  });

  it('finds the slot whose cumulative interval holds the mass', () => {
    const t = new SumTree(4);
    [1, 0, 2, 3].forEach((p, i) => t.set(i, p));
    expect(t.find(0)).toBe(0);
    expect(t.find(0.999)).toBe(0);
    expect(t.find(1)).toBe(2); // slot 1 is empty: never returned
    expect(t.find(2.999)).toBe(2);
    expect(t.find(3)).toBe(3);
    expect(t.find(5.999)).toBe(3);
  });

  it('samples slots in proportion to their priority (chi-square, fixed seed)', () => {
    const priorities = [0.5, 4, 0, 1, 2.5, 8, 0.25, 3, 0, 6.75];
    const t = new SumTree(priorities.length);
    priorities.forEach((p, i) => t.set(i, p));
    const rng = new Prng(42);
    const n = 200_000;
    const counts = new Array(priorities.length).fill(0);
    for (let i = 0; i < n; i++) counts[t.find(rng.next() * t.total)]++;
    const total = priorities.reduce((a, b) => a + b, 0);
    let chi2 = 0;
    priorities.forEach((p, i) => {
      if (p === 0) {
        expect(counts[i]).toBe(0);
        return;
      }
      const expected = (n * p) / total;
      chi2 += (counts[i] - expected) ** 2 / expected;
    });
    // 7 degrees of freedom: P(chi2 > 24.3) = 0.001.
    expect(chi2).toBeLessThan(24.3);
  });

  it('follows priority changes', () => {
    const t = new SumTree(3);
    [1, 1, 1].forEach((p, i) => t.set(i, p));
    t.set(1, 98);
    const rng = new Prng(1);
    let hits = 0;
    for (let i = 0; i < 10_000; i++) if (t.find(rng.next() * t.total) === 1) hits++;
    expect(hits / 10_000).toBeGreaterThan(0.97);
    expect(hits / 10_000).toBeLessThan(0.99);
  });
});
