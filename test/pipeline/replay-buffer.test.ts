import { describe, expect, it } from 'vitest';
import { Prng } from '../../pipeline/prng';
import { ReplayBuffer } from '../../pipeline/replay-buffer';

const frame = (v: number): Uint8Array => new Uint8Array([v, 255 - v]);

function buffer(nStep: number, stack = 1, capacity = 64, prioritized = false): ReplayBuffer {
  return new ReplayBuffer({ capacity, numEnvs: 1, frameSize: 2, stack, nStep, gamma: 0.5, prioritized, priorityEps: 0.01 });
}

/** Sample until every stored transition has been seen; map by first obs value. */
function collect(rb: ReplayBuffer, n: number) {
  const rng = new Prng(3);
  const seen = new Map<number, { ret: number; disc: number; next: number; action: number }>();
  for (let i = 0; i < 50 && seen.size < n; i++) {
    const s = rb.sample(16, 0.4, rng);
    const len = s.obs.length / 16;
    for (let b = 0; b < 16; b++) {
      const obs = Math.round(s.obs[b * len + len - 2] * 255); // newest frame, first byte
      const next = Math.round(s.nextObs[b * len + len - 2] * 255);
      seen.set(obs, { ret: s.returns[b], disc: s.discounts[b], next, action: s.actions[b] });
    }
  }
  return seen;
}

describe('ReplayBuffer n-step returns', () => {
  it('sums n discounted rewards and bootstraps from the n-th next frame', () => {
    const rb = buffer(3);
    rb.beginEpisode(0, frame(10));
    // rewards 1, 2, 4, 8, 16 on frames 10..14 -> next frames 11..15
    [1, 2, 4, 8, 16].forEach((r, i) => rb.addStep(0, i % 4, r, false, frame(11 + i), false));
    const seen = collect(rb, 5);
    expect(rb.size).toBe(5);
    // From 10: 1 + 0.5*2 + 0.25*4 = 3, bootstrap from 13 with 0.125.
    expect(seen.get(10)).toEqual({ ret: 3, disc: 0.125, next: 13, action: 0 });
    expect(seen.get(11)).toEqual({ ret: 2 + 2 + 2, disc: 0.125, next: 14, action: 1 });
    expect(seen.get(12)).toEqual({ ret: 4 + 4 + 4, disc: 0.125, next: 15, action: 2 });
    // Near the newest frame the return is shorter and bootstraps earlier.
    expect(seen.get(13)).toEqual({ ret: 8 + 8, disc: 0.25, next: 15, action: 3 });
    expect(seen.get(14)).toEqual({ ret: 16, disc: 0.5, next: 15, action: 0 });
  });

  it('stops at a terminal step (no bootstrap) and at a truncation (bootstrap from the tail frame)', () => {
    const rb = buffer(3);
    rb.beginEpisode(0, frame(20));
    rb.addStep(0, 1, 1, false, frame(21), false);
    rb.addStep(0, 1, 2, true, frame(22), true); // terminal
    rb.beginEpisode(0, frame(30));
    rb.addStep(0, 2, 4, false, frame(31), false);
    rb.addStep(0, 2, 8, false, frame(32), true); // truncated: episode over, not terminal
    rb.beginEpisode(0, frame(40));
    rb.addStep(0, 3, 1, false, frame(41), false);
    const seen = collect(rb, 5);
    expect(rb.size).toBe(5);
    expect(seen.get(20)).toEqual({ ret: 1 + 0.5 * 2, disc: 0, next: 22, action: 1 });
    expect(seen.get(21)).toEqual({ ret: 2, disc: 0, next: 22, action: 1 });
    expect(seen.get(30)).toEqual({ ret: 4 + 0.5 * 8, disc: 0.25, next: 32, action: 2 });
    expect(seen.get(31)).toEqual({ ret: 8, disc: 0.5, next: 32, action: 2 });
    // Tail frames (22, 32) and the newest pending frame (41) are never transition starts.
    expect(seen.has(22)).toBe(false);
    expect(seen.has(32)).toBe(false);
    expect(seen.has(41)).toBe(false);
  });

  it('assembles frame stacks that stop at episode starts', () => {
    const rb = buffer(1, 3);
    rb.beginEpisode(0, frame(1));
    rb.addStep(0, 0, 0, false, frame(2), false);
    rb.addStep(0, 0, 0, false, frame(3), false);
    rb.addStep(0, 0, 0, false, frame(4), true);
    rb.beginEpisode(0, frame(7));
    rb.addStep(0, 0, 0, false, frame(8), false);
    const out = new Float32Array(6);
    rb.currentStack(0, out);
    // channels last: [byte0 of oldest..newest, byte1 of oldest..newest]; history before 7 is 7 again.
    expect(Array.from(out, (v) => Math.round(v * 255))).toEqual([7, 7, 8, 248, 248, 247]);
    const s = rb.sample(64, 0.4, new Prng(0));
    for (let b = 0; b < 64; b++) {
      const st = Array.from(s.obs.subarray(b * 6, b * 6 + 3), (v) => Math.round(v * 255));
      const nx = Array.from(s.nextObs.subarray(b * 6, b * 6 + 3), (v) => Math.round(v * 255));
      const expected: Record<number, [number[], number[]]> = {
        1: [[1, 1, 1], [1, 1, 2]],
        2: [[1, 1, 2], [1, 2, 3]],
        3: [[1, 2, 3], [2, 3, 4]],
        7: [[7, 7, 7], [7, 7, 8]],
      };
      expect(expected[st[2]]).toEqual([st, nx]);
    }
  });

  it('overwrites the oldest slots when full and never samples a stack that reaches past the ring', () => {
    const rb = buffer(1, 4, 8);
    rb.beginEpisode(0, frame(0));
    for (let i = 1; i <= 20; i++) rb.addStep(0, 0, i, false, frame(i), false);
    // 8 slots hold frames 13..20; 20 is pending, 13..15 lack 3 frames of history -> only 16..19 sampleable.
    expect(rb.size).toBe(4);
    const s = rb.sample(32, 0.4, new Prng(5));
    for (let b = 0; b < 32; b++) {
      const newest = Math.round(s.obs[b * 8 + 3] * 255);
      expect(newest).toBeGreaterThanOrEqual(16);
      expect(newest).toBeLessThanOrEqual(19);
      expect(Array.from(s.obs.subarray(b * 8, b * 8 + 4), (v) => Math.round(v * 255))).toEqual([newest - 3, newest - 2, newest - 1, newest]);
      expect(s.returns[b]).toBe(newest + 1);
    }
  });

  it('samples in proportion to priority and returns importance weights', () => {
    const rb = buffer(1, 1, 16, true);
    rb.beginEpisode(0, frame(0));
    for (let i = 1; i <= 4; i++) rb.addStep(0, 0, 0, false, frame(i), false);
    // Priorities (|td| + 0.01)^1: slot 0 -> 0.01+0.99=1, slot 1 -> 3, others ~0.01+... set explicitly.
    rb.updatePriorities(new Int32Array([0, 1, 2, 3]), [0.99, 2.99, 0.99, 0.99], 1);
    const rng = new Prng(11);
    const counts = [0, 0, 0, 0];
    let w1 = 0;
    for (let i = 0; i < 500; i++) {
      const s = rb.sample(6, 0.5, rng);
      for (let b = 0; b < 6; b++) {
        counts[s.indices[b]]++;
        if (s.indices[b] === 1) w1 = s.weights[b];
        else expect(s.weights[b]).toBeCloseTo(1, 5);
      }
    }
    expect(counts[1] / 3000).toBeGreaterThan(0.45);
    expect(counts[1] / 3000).toBeLessThan(0.55);
    expect(w1).toBeCloseTo(Math.pow(3, -0.5), 5);
  });
});
