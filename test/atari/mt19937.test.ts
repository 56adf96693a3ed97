import { describe, expect, it } from 'vitest';
import { Mt19937 } from '../../atari/mt19937';

describe('Mt19937 (std::mt19937 semantics)', () => {
  it('default seed 5489: first output and the 10000th output required by the C++ standard', () => {
    const g = new Mt19937();
    expect(g.next()).toBe(3499211612);
    for (let i = 2; i < 10000; i++) g.next();
    expect(g.next()).toBe(4123659995);
  });

  it('seed(s) restarts the sequence; different seeds differ', () => {
    const a = new Mt19937(123);
    const first = [a.next(), a.next(), a.next()];
    a.seed(123);
    expect([a.next(), a.next(), a.next()]).toEqual(first);
    expect(new Mt19937(124).next()).not.toBe(first[0]);
  });

  it('seeds are taken as unsigned 32-bit values', () => {
    expect(new Mt19937(-1).next()).toBe(new Mt19937(0xffffffff).next());
  });

  it('nextDouble is next() / 2^32', () => {
    const a = new Mt19937(7);
    const b = new Mt19937(7);
    for (let i = 0; i < 5; i++) expect(a.nextDouble()).toBe(b.next() / 4294967296);
  });

  it('saveState/loadState resume the sequence exactly (also across a twist)', () => {
    const g = new Mt19937(42);
    for (let i = 0; i < 620; i++) g.next();
    const s = g.saveState();
    const expected = Array.from({ length: 20 }, () => g.next());
    const h = new Mt19937(1);
    h.loadState(s);
    expect(Array.from({ length: 20 }, () => h.next())).toEqual(expected);
    expect(() => h.loadState(new Uint32Array(3))).toThrow();
  });
});
