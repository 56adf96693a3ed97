import { describe, expect, it } from 'vitest';
import { FpsCounter, FramePacer } from '../../play/pacing';

describe('FpsCounter', () => {
  it('shows 0 until a second has passed, then the ticks per second over that span', () => {
    const fps = new FpsCounter(0);
    for (let t = 0; t < 30; t++) expect(fps.tick(t * 33)).toBe(0); // 30 ticks, the last at 957 ms
    expect(fps.tick(1200)).toBe(26); // 31 ticks in 1200 ms
    expect(fps.tick(1300)).toBe(26); // the last measurement stays until the next second is over
    for (let t = 1; t <= 14; t++) fps.tick(1300 + t * 60);
    expect(fps.tick(2200)).toBe(16); // 16 ticks in the 1000 ms since 1200
  });
});

describe('FramePacer', () => {
  it('waits until each next tick is due at the fixed rate, counting from the start', () => {
    const pacer = new FramePacer(50, 1000);
    expect(pacer.wait(1010)).toBe(40); // tick 1 due at 1050
    expect(pacer.wait(1050)).toBe(50); // tick 2 due at 1100
    expect(pacer.wait(1120)).toBe(30); // tick 3 due at 1150: a slow tick is made up
    expect(pacer.wait(1300)).toBe(0); // tick 4 due at 1200: late by 100, no wait, schedule kept
    expect(pacer.wait(1240)).toBe(10); // tick 5 due at 1250
  });

  it('starts counting afresh when it falls more than 250 ms behind', () => {
    const pacer = new FramePacer(50, 0);
    expect(pacer.wait(1000)).toBe(0); // due at 50: 950 ms late
    expect(pacer.wait(1010)).toBe(40); // schedule restarted at 1000: next due at 1050
  });
});
