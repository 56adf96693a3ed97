import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Ale, AleError } from '../../atari/ale';
import { NTSC_PALETTE } from '../../atari/palette';
import { findRom } from '../../atari/roms';

const ROM_DIR = process.env.ATARI_ROM_DIR;
if (!ROM_DIR) console.warn('Ale tests skipped: set ATARI_ROM_DIR to the folder holding breakout.bin');

const md5 = (a: Uint8Array) => createHash('md5').update(a).digest('hex');

describe.skipIf(!ROM_DIR)('Ale on Breakout (ATARI_ROM_DIR)', () => {
  const rom = () => findRom('breakout', { searchAlePy: false }).bytes;

  it('loading runs 60 detection frames and a 72-frame reset; a game starts with 5 lives', () => {
    const ale = new Ale(rom());
    expect(ale.console.tia.frameCounter).toBe(132);
    expect(ale.lives()).toBe(5);
    expect(ale.gameOver()).toBe(false);
    expect(ale.getFrameNumber()).toBe(0);
    expect(ale.getEpisodeFrameNumber()).toBe(0);
    expect(ale.getMinimalActionSet()).toEqual([0, 1, 3, 4]);
    expect(ale.getLegalActionSet()).toHaveLength(18);
    expect(ale.getAvailableModes()).toEqual([0, 4, 8, 12, 16, 20, 24, 28, 32, 36, 40, 44]);
    expect(ale.getAvailableDifficulties()).toEqual([0, 1]);
  });

  it('modes are selected with SELECT presses that count as frames; bad modes and actions are refused', () => {
    const ale = new Ale(rom(), { repeatActionProbability: 0 });
    ale.setMode(4);
    const before = ale.console.tia.frameCounter;
    ale.resetGame();
    expect(ale.console.tia.frameCounter - before).toBe(80);
    expect(ale.getEpisodeFrameNumber()).toBe(4);
    expect(ale.getFrameNumber()).toBe(4);
    expect(ale.getRAM()[0x32]).toBe(4);
    expect(() => ale.setMode(3)).toThrow(AleError);
    expect(() => ale.setDifficulty(2)).toThrow(AleError);
    expect(() => ale.act(18)).toThrow(AleError);
  });

  it('frame skip repeats the action; counters count emulated frames', () => {
    const ale = new Ale(rom(), { frameSkip: 4, repeatActionProbability: 0 });
    ale.act(1);
    ale.act(0);
    expect(ale.getFrameNumber()).toBe(8);
    expect(ale.getEpisodeFrameNumber()).toBe(8);
    ale.resetGame();
    expect(ale.getFrameNumber()).toBe(8);
    expect(ale.getEpisodeFrameNumber()).toBe(0);
  });

  it('sticky actions: with probability 1 the remembered NOOP is never replaced', () => {
    const a = new Ale(rom(), { repeatActionProbability: 1 });
    const b = new Ale(rom(), { repeatActionProbability: 0 });
    for (let i = 0; i < 40; i++) {
      a.act(3);
      b.act(0);
    }
    expect(md5(a.getRAM())).toBe(md5(b.getRAM()));
    const c = new Ale(rom(), { repeatActionProbability: 0 });
    for (let i = 0; i < 40; i++) c.act(3); // RIGHT moves the paddle: RAM differs
    expect(md5(c.getRAM())).not.toBe(md5(b.getRAM()));
  });

  it('maxNumFramesPerEpisode ends the episode (game over, nothing emulated after)', () => {
    const ale = new Ale(rom(), { maxNumFramesPerEpisode: 10, repeatActionProbability: 0 });
    for (let i = 0; i < 9; i++) ale.act(0);
    expect(ale.gameOver()).toBe(false);
    ale.act(0);
    expect(ale.gameOver()).toBe(true);
    expect(ale.act(1)).toBe(0);
    expect(ale.getEpisodeFrameNumber()).toBe(10);
    ale.resetGame();
    expect(ale.gameOver()).toBe(false);
  });

  it('cloneState/restoreState (with the generator) replay the same frames', () => {
    const ale = new Ale(rom(), { repeatActionProbability: 0.25, randomSeed: 5 });
    for (let i = 0; i < 30; i++) ale.act(1);
    const s = ale.cloneState(true);
    const run = () => {
      let reward = 0;
      for (let i = 0; i < 60; i++) reward += ale.act([0, 1, 3, 4][i % 4]);
      return [md5(ale.getRAM()), md5(ale.getScreen()), reward, ale.getFrameNumber(), ale.lives()].join();
    };
    const first = run();
    ale.restoreState(s);
    expect(ale.getFrameNumber()).toBe(30);
    expect(run()).toBe(first);
  });

  it('RGB and grayscale screens come from the palette (grayscale: ALE luminance formula)', () => {
    const ale = new Ale(rom());
    for (let i = 0; i < 5; i++) ale.act(1);
    const screen = ale.getScreen();
    const rgb = ale.getScreenRGB();
    const gray = ale.getScreenGrayscale();
    const unaligned = new Uint8Array(100800 + 1).subarray(1);
    ale.getScreenRGB(unaligned);
    expect(md5(unaligned)).toBe(md5(rgb));
    for (const p of [0, 1234, 20000, 33599]) {
      const c = NTSC_PALETTE[screen[p] >> 1];
      const [r, g, b] = [c >> 16, (c >> 8) & 0xff, c & 0xff];
      expect([rgb[p * 3], rgb[p * 3 + 1], rgb[p * 3 + 2]]).toEqual([r, g, b]);
      expect(gray[p]).toBe(Math.round(r * 0.2989 + g * 0.587 + b * 0.114));
    }
  });
});
