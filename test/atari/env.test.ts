import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { Ale, AleSettings } from '../../atari/ale';
import { AtariEnv, EnvOptionError, type AleFactory } from '../../atari/env';
import { md5Hex } from '../../atari/md5';
import { findRom } from '../../atari/roms';

/**
 * A small stand-in for Ale with the same rules the environment relies on: a seeded generator drawn
 * twice per frame (sticky actions), no emulation once the game is over, a life lost every 50 frames,
 * reward 1 per frame the remembered action is FIRE, truncation at maxNumFramesPerEpisode.
 */
class FakeAle {
  static created: Partial<AleSettings>[] = [];
  private s = { rng: 0, sticky: 0, frame: 0, episodeFrame: 0, lives: 5, over: false };
  private mode = 0;
  private readonly p: number;
  private readonly max: number;

  constructor(_rom: Uint8Array, settings: Partial<AleSettings> = {}) {
    FakeAle.created.push(settings);
    this.s.rng = (settings.randomSeed ?? 0) >>> 0;
    this.p = settings.repeatActionProbability ?? 0.25;
    this.max = settings.maxNumFramesPerEpisode ?? 0;
  }
  private draw(): number {
    this.s.rng = (Math.imul(this.s.rng, 1664525) + 1013904223) >>> 0;
    return this.s.rng / 4294967296;
  }
  resetGame(): void {
    Object.assign(this.s, { sticky: 0, episodeFrame: this.mode / 4, lives: 5, over: false });
  }
  act(action: number): number {
    const a = this.draw();
    this.draw();
    if (a >= this.p) this.s.sticky = action;
    if (this.gameOver()) return 0;
    this.s.frame++;
    this.s.episodeFrame++;
    if (this.s.episodeFrame % 50 === 0) this.s.lives--;
    if (this.s.lives === 0) this.s.over = true;
    return this.s.sticky === 1 ? 1 : 0;
  }
  gameOver(): boolean {
    return this.s.over || (this.max > 0 && this.s.episodeFrame >= this.max);
  }
  lives(): number {
    return this.s.lives;
  }
  getFrameNumber(): number {
    return this.s.frame;
  }
  getEpisodeFrameNumber(): number {
    return this.s.episodeFrame;
  }
  getScreenRGB(out = new Uint8Array(100800)): Uint8Array {
    return out.fill(this.s.episodeFrame & 255);
  }
  getScreenGrayscale(out = new Uint8Array(33600)): Uint8Array {
    return out.fill(this.s.lives);
  }
  getRAM(): Uint8Array {
    const ram = new Uint8Array(128);
    ram[0] = this.s.episodeFrame & 255;
    ram[1] = this.s.sticky;
    return ram;
  }
  cloneState(includeRng = false): unknown {
    return { ...this.s, rng: includeRng ? this.s.rng : undefined };
  }
  restoreState(state: unknown): void {
    const st = state as FakeAle['s'];
    Object.assign(this.s, st.rng === undefined ? { ...st, rng: this.s.rng } : st);
  }
  getMinimalActionSet(): number[] {
    return [0, 1, 3, 4];
  }
  getLegalActionSet(): number[] {
    return Array.from({ length: 18 }, (_, i) => i);
  }
  setMode(m: number): void {
    this.mode = m;
  }
  setDifficulty(): void {}
  getAvailableModes(): number[] {
    return [0, 4, 8];
  }
  getAvailableDifficulties(): number[] {
    return [0, 1];
  }
}

const fake: AleFactory = (rom, settings) => new FakeAle(rom, settings) as unknown as Ale;
const ROM = new Uint8Array(2048);

describe('AtariEnv rules (with a fake ALE)', () => {
  it('sums rewards over a fixed frame skip and reports frame counters', () => {
    const env = new AtariEnv(ROM, { frameSkip: 4, repeatActionProbability: 0 }, fake);
    env.reset({ seed: 1 });
    const r = env.step(1); // FIRE
    expect(r.reward).toBe(4);
    expect(r.info).toEqual({ lives: 5, frameNumber: 4, episodeFrameNumber: 4 });
    expect(env.step(0).reward).toBe(0);
  });

  it('runs ALE with frame skip 1 and the requested sticky probability, seeds ALE on reset({seed})', () => {
    FakeAle.created = [];
    const env = new AtariEnv(ROM, { frameSkip: 3, repeatActionProbability: 0.4, mode: 4 }, fake);
    env.reset({ seed: 123 });
    expect(FakeAle.created.at(-1)).toMatchObject({ frameSkip: 1, repeatActionProbability: 0.4, randomSeed: 123, mode: 4 });
    expect(env.reset().info.episodeFrameNumber).toBe(1); // the mode was applied to the new ALE
    expect(FakeAle.created.length).toBe(2); // reset() without a seed does not reload
    env.reset({ seed: 123 });
    expect(FakeAle.created.length).toBe(3); // a seeded reset after use reloads, even with the same seed

    // A seeded reset right after construction with the construction seed (0) reuses the fresh ALE.
    FakeAle.created = [];
    const fresh = new AtariEnv(ROM, { frameSkip: 1 }, fake);
    fresh.reset({ seed: 0 });
    expect(FakeAle.created.length).toBe(1);
    fresh.reset({ seed: 1 });
    expect(FakeAle.created.length).toBe(2);
  });

  it('draws a random frame skip per step from [lo, hi), reproducibly per seed', () => {
    const counts = (seed: number) => {
      const env = new AtariEnv(ROM, { frameSkip: [2, 5], repeatActionProbability: 0 }, fake);
      env.reset({ seed });
      const skips: number[] = [];
      let last = 0;
      for (let i = 0; i < 40; i++) {
        const r = env.step(0);
        if (r.terminated) {
          env.reset();
          last = r.info.frameNumber;
          continue;
        }
        skips.push(r.info.frameNumber - last);
        last = r.info.frameNumber;
      }
      return skips;
    };
    const a = counts(7);
    expect(new Set(a)).toEqual(new Set([2, 3, 4]));
    expect(counts(7)).toEqual(a);
    expect(counts(8)).not.toEqual(a);
  });

  it('terminates when the game ends and truncates at maxNumFramesPerEpisode', () => {
    const env = new AtariEnv(ROM, { frameSkip: 10, repeatActionProbability: 0 }, fake);
    env.reset();
    const results = Array.from({ length: 25 }, () => env.step(0));
    expect(results.findIndex((r) => r.terminated)).toBe(24); // 250 frames = 5 lives x 50
    expect(results[24].info.lives).toBe(0);
    expect(results.every((r) => !r.truncated)).toBe(true);

    const short = new AtariEnv(ROM, { frameSkip: 4, repeatActionProbability: 0, maxNumFramesPerEpisode: 10 }, fake);
    short.reset();
    expect(short.step(0).truncated).toBe(false);
    expect(short.step(0).truncated).toBe(false);
    const third = short.step(0);
    expect(third).toMatchObject({ truncated: true, terminated: false });
    expect(third.info.episodeFrameNumber).toBe(10);
  });

  it('maps action indices through the minimal or full action set and rejects bad ones', () => {
    const minimal = new AtariEnv(ROM, {}, fake);
    expect(minimal.actionSet).toEqual([0, 1, 3, 4]);
    expect(minimal.numActions).toBe(4);
    const full = new AtariEnv(ROM, { fullActionSpace: true }, fake);
    expect(full.numActions).toBe(18);
    expect(() => minimal.step(4)).toThrow(RangeError);
    expect(() => minimal.step(-1)).toThrow(RangeError);
    expect(() => minimal.step(0.5)).toThrow(RangeError);
  });

  it('gives observation shapes per type and a fresh array every step', () => {
    expect(new AtariEnv(ROM, {}, fake).observationShape).toEqual([210, 160, 3]);
    expect(new AtariEnv(ROM, { obsType: 'grayscale' }, fake).observationShape).toEqual([210, 160]);
    const env = new AtariEnv(ROM, { obsType: 'ram' }, fake);
    expect(env.observationShape).toEqual([128]);
    const a = env.reset().observation;
    const b = env.step(0).observation;
    expect(a).not.toBe(b);
    expect(b.length).toBe(128);
    expect(a[0]).not.toBe(b[0]);
  });

  it('rejects bad options with user-facing errors', () => {
    const bad = [
      { frameSkip: 0 },
      { frameSkip: [3, 3] as [number, number] },
      { repeatActionProbability: 1.5 },
      { obsType: 'rgba' as never },
      { mode: 5 },
      { difficulty: 3 },
      { maxNumFramesPerEpisode: -1 },
    ];
    for (const options of bad) {
      expect(() => new AtariEnv(ROM, options, fake), JSON.stringify(options)).toThrow(EnvOptionError);
    }
  });

  it('getState/setState replays the same future, sticky-action generator included', () => {
    const env = new AtariEnv(ROM, { frameSkip: [1, 4], repeatActionProbability: 0.5, obsType: 'ram' }, fake);
    env.reset({ seed: 3 });
    for (let i = 0; i < 5; i++) env.step(i % 2);
    const saved = env.getState();
    const run = () => Array.from({ length: 20 }, (_, i) => env.step((i * 7) % 4)).map((r) => [r.reward, r.info.frameNumber, ...r.observation.slice(0, 2)]);
    const first = run();
    env.setState(saved);
    expect(run()).toEqual(first);
  });

  it('stepBatch equals restore + step + clone per state and leaves the environment where it was', () => {
    const env = new AtariEnv(ROM, { frameSkip: 2, repeatActionProbability: 0.25, obsType: 'ram' }, fake);
    env.reset({ seed: 9 });
    const states = [env.getState()];
    env.step(1);
    states.push(env.getState());
    env.step(2);
    states.push(env.getState());
    const here = env.getState();
    const { results, states: after } = env.stepBatch(states, [1, 0, 1]);
    expect(env.getState()).toEqual(here);
    for (let i = 0; i < 3; i++) {
      env.setState(states[i]);
      const r = env.step([1, 0, 1][i]);
      expect(results[i]).toEqual(r);
      expect(after[i]).toEqual(env.getState());
    }
    expect(() => env.stepBatch(states, [0])).toThrow(/one action per state/);
  });
});

// ---------------------------------------------------------------------------------------------
// With the real ROM: the environment must reproduce ALE's own traces.

const romDir = process.env.ATARI_ROM_DIR;
if (!romDir) console.warn('test/atari/env.test.ts: ATARI_ROM_DIR is not set; the tests with the Breakout ROM are skipped');
const TRACES = join(import.meta.dirname, '..', '..', '..', 'shared', 'ale-reference');

interface TraceLine {
  t: number;
  event?: 'reset';
  action?: number;
  reward?: number;
  lives: number;
  game_over?: boolean;
  frame: number;
  episode_frame: number;
  ram: string;
  screen_md5: string;
}

function readTrace(name: string): { header: { settings: Record<string, number> }; lines: TraceLine[] } {
  const text = gunzipSync(readFileSync(join(TRACES, name))).toString('utf8').trim().split('\n');
  return { header: JSON.parse(text[0]), lines: text.slice(1).map((l) => JSON.parse(l) as TraceLine) };
}

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

describe.skipIf(!romDir)('AtariEnv on the real ROM (ATARI_ROM_DIR)', () => {
  const rom = () => findRom('breakout', { env: { ATARI_ROM_DIR: romDir }, searchAlePy: false }).bytes;

  // Env-level frame skip over ALE frame skip 1 must equal ALE's own frame skip, sticky draws included;
  // reset({seed}) must seed ALE's generator exactly as random_seed does.
  for (const [name, checkScreenEvery] of [
    ['breakout-sticky-s123.jsonl.gz', 7],
    ['breakout-fskip4-s7.jsonl.gz', 3],
  ] as const) {
    it(`replays ${name} through reset({seed}) and step()`, () => {
      const { header, lines } = readTrace(name);
      const s = header.settings;
      const env = new AtariEnv(rom(), { frameSkip: s.frame_skip, repeatActionProbability: s.repeat_action_probability, obsType: 'ram' });
      const screen = new Uint8Array(100800);
      let obs = env.reset({ seed: s.random_seed }).observation;
      let steps = 0;
      for (const line of lines) {
        const where = `${name} t=${line.t}${line.event ? ' reset' : ''}`;
        if (line.event === 'reset') {
          if (line.t > 0) obs = env.reset().observation;
          expect(hex(obs), where).toBe(line.ram);
          expect(md5Hex(env.screenRGB(screen)), where).toBe(line.screen_md5);
          expect(env.ale.getEpisodeFrameNumber(), where).toBe(line.episode_frame);
          continue;
        }
        const r = env.step(env.actionSet.indexOf(line.action!));
        obs = r.observation;
        steps++;
        expect(
          { reward: r.reward, lives: r.info.lives, over: r.terminated, frame: r.info.frameNumber, ep: r.info.episodeFrameNumber, trunc: r.truncated },
          where,
        ).toEqual({ reward: line.reward, lives: line.lives, over: line.game_over, frame: line.frame, ep: line.episode_frame, trunc: false });
        expect(hex(obs), where).toBe(line.ram);
        if (line.t % checkScreenEvery === 0 || line.game_over) expect(md5Hex(env.screenRGB(screen)), where).toBe(line.screen_md5);
      }
      expect(steps).toBe(lines.filter((l) => l.event !== 'reset').length);
    });
  }

  it('gives RGB and grayscale observations of the right sizes, consistent with the screen', () => {
    const rgbEnv = new AtariEnv(rom(), { obsType: 'rgb', repeatActionProbability: 0 });
    const grayEnv = new AtariEnv(rom(), { obsType: 'grayscale', repeatActionProbability: 0 });
    const a = rgbEnv.reset({ seed: 1 }).observation;
    const g = grayEnv.reset({ seed: 1 }).observation;
    expect(a.length).toBe(210 * 160 * 3);
    expect(g.length).toBe(210 * 160);
    expect(a).toEqual(rgbEnv.screenRGB());
    expect(g).toEqual(grayEnv.screenGrayscale());
    const ra = rgbEnv.step(1);
    const ga = grayEnv.step(1);
    expect(ra.observation).toEqual(rgbEnv.screenRGB());
    expect(ga.observation).toEqual(grayEnv.screenGrayscale());
    // Same pixel layout: where the RGB frame is black, grayscale is 0.
    for (let i = 0; i < g.length; i += 97) {
      if (ra.observation[i * 3] === 0 && ra.observation[i * 3 + 1] === 0 && ra.observation[i * 3 + 2] === 0) expect(ga.observation[i]).toBe(0);
    }
  });

  it('truncates at maxNumFramesPerEpisode and reset starts a new episode', () => {
    const env = new AtariEnv(rom(), { frameSkip: 4, maxNumFramesPerEpisode: 100, obsType: 'ram' });
    env.reset({ seed: 0 });
    let r = env.step(1);
    let n = 1;
    while (!r.truncated && !r.terminated && n < 100) {
      r = env.step(n % 4);
      n++;
    }
    expect(r.truncated).toBe(true);
    expect(r.terminated).toBe(false);
    expect(r.info.episodeFrameNumber).toBe(100);
    expect(n).toBe(25);
    expect(env.reset().info.episodeFrameNumber).toBe(0);
  });

  it('stepBatch over real states matches sequential stepping, and reset({seed}) is reproducible', () => {
    const env = new AtariEnv(rom(), { frameSkip: 4, obsType: 'ram' });
    env.reset({ seed: 5 });
    const states = [];
    for (let i = 0; i < 6; i++) {
      states.push(env.getState());
      env.step(i === 0 ? 1 : i % 4);
    }
    const actions = [1, 2, 3, 0, 2, 3];
    const batch = env.stepBatch(states, actions);
    const other = new AtariEnv(rom(), { frameSkip: 4, obsType: 'ram' });
    other.reset({ seed: 99 });
    for (let i = 0; i < states.length; i++) {
      other.setState(states[i]);
      expect(batch.results[i]).toEqual(other.step(actions[i]));
    }
    const trajectory = (seed: number) => {
      const e = new AtariEnv(rom(), { frameSkip: 4, obsType: 'ram', repeatActionProbability: 0.25 });
      e.reset({ seed });
      return Array.from({ length: 60 }, (_, i) => hex(e.step(i % 5 === 0 ? 1 : (i >> 2) % 4).observation)).join('');
    };
    expect(trajectory(11)).toBe(trajectory(11));
    expect(trajectory(11)).not.toBe(trajectory(12));
  });
});
