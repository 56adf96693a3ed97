// The ball's flight rule (pipeline/breakout-decode.ts ballFlight) against the real game: where the ball's
// last places decide its next x or y, that is where the game puts it (ATARI_ROM_DIR).
import { describe, expect, it } from 'vitest';
import { AtariEnv } from '../../atari/env';
import { findRom } from '../../atari/roms';
import { ballFlight, type BallPlace, fieldBall } from '../../pipeline/breakout-decode';
import { rgbToClasses } from '../../pipeline/frame-classes';
import type { PolicyObservation } from '../../pipeline/policy';
import { TrackerPolicy } from '../../pipeline/tracker-policy';

const romDir = process.env.ATARI_ROM_DIR;
if (!romDir) console.warn('test/pipeline/ball-flight.test.ts: real-game ball-flight test skipped; set ATARI_ROM_DIR to the folder holding breakout.bin');

describe.skipIf(!romDir)('ballFlight in the real game (ATARI_ROM_DIR)', () => {
  it('puts the ball where the game does in nearly every step it decides', () => {
    const env = new AtariEnv(findRom('breakout').bytes, { obsType: 'rgb', frameSkip: 4, repeatActionProbability: 0 });
    const policy = new TrackerPolicy({ randomShare: 0.02, deadZone: 3, lead: 'velocity' });
    policy.reset(31);
    const balls: (BallPlace | null)[] = [fieldBall(rgbToClasses(env.reset({ seed: 31 }).observation))];
    let lives = 5;
    for (let step = 0; step < 2000; step++) {
      const s = env.step(policy.act({ ram: env.ale.getRAM(), lives, step } as unknown as PolicyObservation));
      if (s.terminated || s.truncated) break;
      // A lost life restarts the ball: nothing before it is its motion.
      if (s.info.lives !== lives) balls.push(null, null, null);
      lives = s.info.lives;
      balls.push(fieldBall(rgbToClasses(s.observation)));
    }
    const tally = { both: [0, 0], x: [0, 0], y: [0, 0] };
    for (let i = 3; i < balls.length; i++) {
      const next = balls[i];
      if (next === null) continue;
      const f = ballFlight(balls.slice(i - 3, i));
      const kind = f.x !== null && f.y !== null ? 'both' : f.x !== null ? 'x' : f.y !== null ? 'y' : null;
      if (kind === null) continue;
      tally[kind][0]++;
      if ((f.x === null || f.x === next.x) && (f.y === null || f.y === next.y)) tally[kind][1]++;
    }
    expect(tally.both[0]).toBeGreaterThan(500);
    expect(tally.both[1] / tally.both[0]).toBeGreaterThan(0.98); // 965 of 977 when written
    expect(tally.y[0]).toBeGreaterThan(30);
    expect(tally.y[1] / tally.y[0]).toBeGreaterThan(0.95);
    expect(tally.x[0]).toBeGreaterThan(10);
    expect(tally.x[1] / tally.x[0]).toBeGreaterThan(0.95);
  });
});
