// The scripted tracker: where it aims (always runs) and how far it gets in the real game (ATARI_ROM_DIR).
import { describe, expect, it } from 'vitest';
import type { PolicyObservation } from '../../pipeline/policy';
import { makeRealGame } from '../../pipeline/record';
import { landingX, TrackerPolicy } from '../../pipeline/tracker-policy';

const RIGHT = 2, LEFT = 3;

/** RAM with the ball at (x, y) and the paddle centre at paddleX, in the tracker's coordinates. */
function ram(x: number, y: number, paddleX: number): Uint8Array {
  const r = new Uint8Array(128);
  r[99] = x + 48;
  r[101] = y;
  r[72] = paddleX + 39;
  return r;
}

const obs = (r: Uint8Array, step: number) => ({ ram: r, lives: 5, step }) as unknown as PolicyObservation;

describe('TrackerPolicy', () => {
  it('predicts where a falling ball reaches the paddle row, off the side walls', () => {
    expect(landingX(100, 139, 4, 10)).toBe(116); // 4 steps to row 179
    expect(landingX(140, 139, 8, 10)).toBe(128); // would reach 172: reflected off the right wall (150)
    expect(landingX(20, 139, -8, 10)).toBe(28); // and off the left one (8)
    expect(landingX(100, 139, 4, -10)).toBeNull(); // rising
  });

  it('moves towards the landing point, not towards the ball', () => {
    // The ball is right of the paddle but falls steeply leftwards: it lands left of the paddle.
    const p = new TrackerPolicy({ randomShare: 0, deadZone: 3, lead: 'velocity' });
    p.reset(1);
    p.act(obs(ram(90, 99, 70), 0));
    expect(p.act(obs(ram(84, 109, 70), 1))).toBe(LEFT); // lands at 84 - 6 * 7 = 42
    const q = new TrackerPolicy({ randomShare: 0, deadZone: 3, lead: 'velocity' });
    q.reset(1);
    q.act(obs(ram(50, 99, 70), 0));
    expect(q.act(obs(ram(56, 109, 70), 1))).toBe(RIGHT); // lands at 56 + 6 * 7 = 98
  });

  it("with lead 'settle', aims from where the paddle comes to rest, not from its last step", () => {
    // The ball rises above x = 80 (no landing point yet: the tracker follows it). Each policy aims up to
    // 4 px off (drawn per life), so every case below keeps a margin of more than 4 px around the dead zone.
    const first = (lead: 'settle' | 'velocity', paddleX: number) => {
      const p = new TrackerPolicy({ randomShare: 0, deadZone: 6, lead });
      p.reset(1);
      expect(p.act(obs(ram(80, 120, paddleX), 0))).toBe(RIGHT);
      return p;
    };
    // A press that moved the paddle 9 px still carries it about 10: 'settle' releases.
    expect(first('settle', 62).act(obs(ram(80, 110, 71), 1))).toBe(0);
    // A held press moved it 22 px: 'velocity' expects 22 more and releases 12 px short (and the paddle
    // then swings about the ball); 'settle' expects 10 and presses on.
    expect(first('velocity', 36).act(obs(ram(80, 110, 58), 1))).toBe(0);
    expect(first('settle', 36).act(obs(ram(80, 110, 58), 1))).toBe(RIGHT);
  });
});

const romDir = process.env.ATARI_ROM_DIR;
if (!romDir) console.warn('test/pipeline/tracker-policy.test.ts: real-game tracker test skipped; set ATARI_ROM_DIR to the folder holding breakout.bin');

describe.skipIf(!romDir)('TrackerPolicy in the real game (ATARI_ROM_DIR)', () => {
  it('scores well at frame skip 4 (it exists to reach late, fast-ball games)', () => {
    const { env } = makeRealGame({ frameSkip: 4, sticky: 0 });
    const scores: number[] = [];
    for (let episode = 0; episode < 3; episode++) {
      const policy = new TrackerPolicy({ randomShare: 0.02, deadZone: 3, lead: 'velocity' });
      policy.reset(episode);
      env.reset({ seed: episode });
      let score = 0, lives = 5;
      for (let step = 0; step < 4000; step++) {
        const s = env.step(policy.act({ ...obs(env.ale.getRAM(), step), lives }));
        score += s.reward;
        lives = s.info.lives;
        if (s.terminated || s.truncated) break;
      }
      scores.push(score);
    }
    // The ball-follower it replaced averaged about 30 (tracker-60 in the README).
    expect(scores.reduce((a, b) => a + b, 0) / scores.length).toBeGreaterThan(45);
  });

  it("with lead 'settle' (steady-tracker) reaches the fast ball of late games", () => {
    const { env } = makeRealGame({ frameSkip: 4, sticky: 0 });
    const policy = new TrackerPolicy({ randomShare: 0.005, deadZone: 6, lead: 'settle' });
    let score = 0, fast = 0, lives = 5, lastY = 0;
    for (let episode = 0; episode < 2; episode++) {
      policy.reset(episode);
      env.reset({ seed: episode });
      lives = 5;
      lastY = 0;
      for (let step = 0; step < 3000; step++) {
        const s = env.step(policy.act({ ...obs(env.ale.getRAM(), step), lives }));
        score += s.reward;
        lives = s.info.lives;
        // The ball's y byte (RAM 101) moving 12 or more a step: the fast ball, (8, 13-14) px on screen.
        const y = env.ale.getRAM()[101];
        if (y && lastY && Math.abs(y - lastY) >= 12) fast++;
        lastY = y;
        if (s.terminated || s.truncated) break;
      }
    }
    // 'velocity' (above) scores about 60 a game, with the fast ball in under 10% of its steps.
    expect(score / 2).toBeGreaterThan(150);
    expect(fast).toBeGreaterThan(500);
  });
});
