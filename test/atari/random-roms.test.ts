// Bad ROMs never hang or crash the process: random images of every supported size run a few frames
// (a frame stops after at most 25,000 instructions, as in ALE), and images of other sizes get a clear
// error. Most images go through the Console directly (a few frames each); some through the whole Ale
// (its load runs 132 frames, so those are fewer).
import { describe, expect, it } from 'vitest';
import { Ale } from '../../atari/ale';
import { CartridgeError } from '../../atari/cartridge';
import { Console } from '../../atari/console';

/** xorshift32, so every run tests the same images. */
function bytes(seed: number): (n: number) => Uint8Array {
  let x = seed >>> 0 || 1;
  return (n) => {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      x ^= x << 13;
      x >>>= 0;
      x ^= x >>> 17;
      x ^= x << 5;
      x >>>= 0;
      out[i] = x & 0xff;
    }
    return out;
  };
}

const SIZES = [2048, 4096, 8192, 16384, 32768];

function expectSaneScreen(screen: Uint8Array): void {
  expect(screen.length).toBe(210 * 160);
  // TIA colour values with bit 0 cleared: every value is even.
  for (let i = 0; i < screen.length; i += 53) expect(screen[i] & 1).toBe(0);
}

describe('random ROM images', () => {
  it('run a few frames each on the console without hanging or throwing (300 images)', () => {
    const random = bytes(2024);
    let partial = 0;
    let images = 0;
    for (const size of SIZES) {
      for (let k = 0; k < 60; k++) {
        const rom = random(size);
        // Some images get a plausible reset vector into the cartridge space, others keep random ones.
        if (k % 2 === 0) {
          rom[size - 4] = random(1)[0];
          rom[size - 3] = 0xf0 | (random(1)[0] & 0x0f);
        }
        const machine = new Console(rom);
        machine.reset();
        for (let f = 0; f < 3; f++) if (!machine.runFrame()) partial++;
        expectSaneScreen(machine.screen);
        const state = machine.saveState();
        machine.runFrame();
        machine.loadState(state);
        images++;
      }
    }
    expect(images).toBe(300);
    // Random code rarely produces a proper VSYNC: most frames stop at the instruction limit or a JAM.
    expect(partial).toBeGreaterThan(0);
  });

  it('run through the whole Ale (load, reset, act, clone/restore) for each supported size', () => {
    const random = bytes(77);
    for (const size of SIZES) {
      for (let k = 0; k < 3; k++) {
        const ale = new Ale(random(size), { repeatActionProbability: 0 });
        expect(ale.getMinimalActionSet().length).toBe(18); // no rules known: a joystick game
        const saved = ale.cloneState();
        for (let f = 0; f < 5; f++) expect(ale.act(f % 18)).toBe(0);
        expect(ale.gameOver()).toBe(false);
        expectSaneScreen(ale.getScreen());
        expect(ale.getScreenRGB().length).toBe(100800);
        ale.restoreState(saved);
        ale.resetGame();
      }
    }
  });

  it('stop a frame that never ends (an endless loop) at the instruction limit', () => {
    // 4K image: JMP $F000 at $F000, reset vector $F000. The CPU never touches VSYNC.
    const rom = new Uint8Array(4096);
    rom.set([0x4c, 0x00, 0xf0]);
    rom[0xffc] = 0x00;
    rom[0xffd] = 0xf0;
    const machine = new Console(rom);
    machine.reset();
    expect(machine.runFrame()).toBe(false);
    expect(machine.runFrame()).toBe(false);
    const ale = new Ale(rom);
    expect(ale.act(0)).toBe(0);
    expect(ale.getFrameNumber()).toBe(1);
  });

  it('survive JAM opcodes and degenerate fills', () => {
    for (const fill of [0x00, 0x02, 0xea, 0xff, 0x60, 0x40]) {
      const machine = new Console(new Uint8Array(2048).fill(fill));
      machine.reset();
      for (let f = 0; f < 3; f++) machine.runFrame();
      expectSaneScreen(machine.screen);
    }
  });

  it('reject images of other sizes with a clear, user-facing error', () => {
    const random = bytes(5);
    for (const size of [0, 1, 100, 2047, 2049, 3000, 5000, 12288, 65536, 100000]) {
      let error: unknown;
      try {
        new Ale(random(size));
      } catch (err) {
        error = err;
      }
      expect(error, `size ${size}`).toBeInstanceOf(CartridgeError);
      expect((error as CartridgeError).userFacing).toBe(true);
      expect((error as Error).message).toMatch(new RegExp(`unsupported ROM size ${size} bytes`));
    }
  });
});
