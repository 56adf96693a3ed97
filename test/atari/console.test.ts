import { describe, expect, it } from 'vitest';
import { Console, MAX_INSTRUCTIONS_PER_FRAME } from '../../atari/console';
import { CartridgeError } from '../../atari/cartridge';
import { assemble } from './asm';

/** A 4K cartridge from assembly placed at $F000, with the reset vector pointing at `start`. */
function rom4k(source: string): Uint8Array {
  const { bytes, origin } = assemble(`.org $F000\n${source}\n.org $FFFC\n.word start\n.word start`, 0xf000);
  const rom = new Uint8Array(4096);
  rom.set(bytes, origin - 0xf000);
  return rom;
}

/** A frame loop: 3 lines of VSYNC, then `lines` scanlines, writing the line number to COLUBK. */
const FRAME_LOOP = (lines: number) => `
start:
  ldx #$FF
  txs
frame:
  lda #2
  sta $00      ; VSYNC on
  sta $02
  sta $02
  sta $02
  lda #0
  sta $00      ; VSYNC off: the frame ends here
  ldy #${lines}
line:
  sty $09      ; COLUBK
  sta $02      ; WSYNC
  dey
  bne line
  inc $80
  jmp frame`;

describe('Console', () => {
  it('decodes the 13-bit bus: RAM at $80 (mirrored at $180), RIOT timer at $284, TIA, cartridge', () => {
    const c = new Console(rom4k('start:\n  jmp start'));
    c.reset();
    c.write(0x80, 0x12);
    expect(c.read(0x180)).toBe(0x12);
    expect(c.riot.ram[0]).toBe(0x12);
    c.write(0x1ff, 0x34); // stack page mirror of $FF
    expect(c.read(0xff)).toBe(0x34);
    c.write(0x296, 100); // TIM64T
    c.cycles += 2;
    expect(c.read(0x284)).toBe(99);
    expect(c.read(0x1000)).toBe(0x4c); // JMP opcode from the cartridge
    expect(c.read(0xf000)).toBe(0x4c); // 16-bit address masked to 13 bits
    const ram9 = c.riot.ram[9];
    c.write(0x09, ram9 ^ 0xff); // TIA COLUBK: no effect on RAM
    expect(c.riot.ram[9]).toBe(ram9);
  });

  it('runs one frame per VSYNC; frames restart the clock at the start of the current line', () => {
    const c = new Console(rom4k(FRAME_LOOP(250)));
    c.reset();
    expect(c.runFrame()).toBe(true);
    const counter = c.riot.ram[0];
    for (let i = 0; i < 5; i++) expect(c.runFrame()).toBe(true);
    expect(c.riot.ram[0]).toBe((counter + 5) & 0xff);
    // 3 lines of VSYNC + 250 lines; a frame starts on the line where the last one ended.
    expect(c.tia.scanlinesLastFrame).toBe(253);
    expect(c.tia.frameCounter).toBe(6);
    // Scanline s of the frame (screen row s - 34) has COLUBK = 250 - s, bit 0 cleared.
    const screen = c.screen;
    for (const r of [0, 50, 200]) {
      expect(screen[r * 160]).toBe((250 - (r + 34)) & 0xfe);
      expect(screen[r * 160 + 159]).toBe((250 - (r + 34)) & 0xfe);
    }
  });

  it('a program that never ends a frame stops after 25,000 instructions and is continued next time', () => {
    const c = new Console(rom4k('start:\n  inc $80\n  jmp start'));
    c.reset();
    const before = c.riot.ram[0];
    expect(c.runFrame()).toBe(false);
    expect(c.riot.ram[0]).toBe((before + MAX_INSTRUCTIONS_PER_FRAME / 2) & 0xff);
    expect(c.runFrame()).toBe(false);
    expect(c.riot.ram[0]).toBe((before + MAX_INSTRUCTIONS_PER_FRAME) & 0xff);
  });

  it('a frame without VSYNC ends at the first TIA write more than 290 lines in', () => {
    const c = new Console(rom4k('start:\n  sta $02\n  jmp start'));
    c.reset();
    expect(c.runFrame()).toBe(true);
    expect(c.tia.scanlinesLastFrame).toBe(292);
  });

  it('save/load state replays identically', () => {
    const c = new Console(rom4k(FRAME_LOOP(240)));
    c.reset();
    c.runFrame();
    const s = c.saveState();
    const screens: string[] = [];
    for (let i = 0; i < 3; i++) c.runFrame();
    screens.push(Buffer.from(c.screen).toString('hex') + Buffer.from(c.riot.ram).toString('hex'));
    c.loadState(s);
    for (let i = 0; i < 3; i++) c.runFrame();
    screens.push(Buffer.from(c.screen).toString('hex') + Buffer.from(c.riot.ram).toString('hex'));
    expect(screens[1]).toBe(screens[0]);
  });

  it('RAM at power-on comes from the system generator (same seed, same RAM)', () => {
    const rom = rom4k('start:\n  jmp start');
    const a = new Console(rom, 4753849);
    const b = new Console(rom, 4753849);
    const d = new Console(rom, 1);
    expect(Array.from(a.riot.ram)).toEqual(Array.from(b.riot.ram));
    expect(Array.from(a.riot.ram)).not.toEqual(Array.from(d.riot.ram));
  });

  it('bad images: wrong sizes throw a clear error; random bytes run safely for a few frames', () => {
    expect(() => new Console(new Uint8Array(1000))).toThrow(CartridgeError);
    let seed = 12345;
    const rand = () => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed >>> 24;
    };
    const sizes = [2048, 4096, 8192, 16384, 32768];
    for (let k = 0; k < 300; k++) {
      const rom = new Uint8Array(sizes[k % sizes.length]);
      for (let i = 0; i < rom.length; i++) rom[i] = rand();
      const c = new Console(rom);
      c.reset();
      for (let f = 0; f < 3; f++) c.runFrame();
      expect(c.screen.length).toBe(160 * 210);
    }
  }, 120_000);
});
