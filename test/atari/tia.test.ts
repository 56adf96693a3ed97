import { describe, expect, it } from 'vitest';
import { FRAME_Y_START, Tia, type TiaHost } from '../../atari/tia';

class Host implements TiaHost {
  cycles = 0;
  dataBus = 0;
  lastAccessWasRead = true;
  stopRequested = false;
  readonly inputResistance = new Int32Array([0x7fffffff, 0x7fffffff, 0x7fffffff, 0x7fffffff]);
  inpt4 = 1;
  inpt5 = 1;
  tia!: Tia;
  resetCycles(): void {
    this.tia.systemCyclesReset(this.cycles);
    this.cycles = 0;
  }
}

// Register addresses
const VSYNC = 0x00, VBLANK = 0x01, WSYNC = 0x02, NUSIZ0 = 0x04, COLUP0 = 0x06, COLUPF = 0x08, COLUBK = 0x09;
const CTRLPF = 0x0a, PF0 = 0x0d, PF1 = 0x0e, PF2 = 0x0f, RESP0 = 0x10, RESM0 = 0x12, RESBL = 0x14;
const GRP0 = 0x1b, GRP1 = 0x1c, ENAM0 = 0x1d, ENABL = 0x1f, HMP0 = 0x20, VDELP0 = 0x25, HMOVE = 0x2a, CXCLR = 0x2c;

/** A TIA at the start of a frame (scanline 0, CPU cycle 0), all registers cleared. */
function setup() {
  const host = new Host();
  const tia = new Tia(host);
  host.tia = tia;
  tia.beginUpdate();
  /** Write `value` to `reg` when the CPU clock stands at `cycle` of scanline `line`. */
  const write = (line: number, cycle: number, reg: number, value: number) => {
    host.cycles = line * 76 + cycle;
    tia.write(reg, value);
  };
  /** Draws everything up to the start of `line` and returns the screen row of scanline `line - 1`. */
  const row = (line: number): number[] => {
    host.cycles = line * 76;
    tia.read(0x07); // a collision register read draws up to the current clock
    const r = (line - 1 - FRAME_Y_START) * 160;
    return Array.from(tia.screen.subarray(r, r + 160));
  };
  const columns = (pixels: number[], color: number) =>
    pixels.flatMap((c, x) => (c === color ? [x] : []));
  return { host, tia, write, row, columns };
}

const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => a + i);

describe('Tia object positioning', () => {
  it('RESP0 ending at CPU cycle 30 puts player 0 at pixel 27 (clock 90 - 68 + 5), drawn from the next line', () => {
    const { tia, write, row, columns } = setup();
    write(40, 0, COLUP0, 0x1e);
    write(40, 1, GRP0, 0xff);
    write(40, 30, RESP0, 0);
    expect(tia.positions.p0).toBe(27);
    // Line 40 shows the player where it was before the RESP (pixel 0, drawn before cycle 30); the
    // copy at the new position is skipped on the line of the RESP.
    expect(columns(row(41), 0x1e)).toEqual(range(0, 7));
    expect(columns(row(42), 0x1e)).toEqual(range(27, 34));
  });

  it('RESP0 during horizontal blank puts the player at pixel 3', () => {
    const { tia, write } = setup();
    write(40, 10, RESP0, 0);
    expect(tia.positions.p0).toBe(3);
  });

  it('RESM0 and RESBL use 4 instead of 5 clocks of delay', () => {
    const { tia, write, row, columns } = setup();
    write(40, 30, RESM0, 0);
    write(40, 31, RESBL, 0);
    expect(tia.positions.m0).toBe(26);
    expect(tia.positions.bl).toBe(29);
    write(41, 0, COLUPF, 0x44);
    write(41, 0, ENABL, 0x02);
    write(41, 1, CTRLPF, 0x20); // ball 4 pixels wide
    expect(columns(row(43), 0x44)).toEqual(range(29, 32));
  });

  it('HMOVE in horizontal blank moves by the HMxx value (left for 1..7, right for -8..-1) and blanks 8 pixels', () => {
    const { tia, write, row, columns } = setup();
    write(40, 30, RESP0, 0); // position 27
    write(41, 0, COLUBK, 0x82);
    write(41, 0, HMP0, 0x30); // +3: three pixels left
    write(41, 3, HMOVE, 0);
    expect(tia.positions.p0).toBe(24);
    const line = row(42);
    expect(columns(line, 0).length).toBe(8);
    expect(columns(line, 0)).toEqual(range(0, 7));
    write(42, 0, HMP0, 0xd0); // -3: three pixels right
    write(42, 3, HMOVE, 0);
    expect(tia.positions.p0).toBe(27);
    write(43, 0, HMP0, 0x80); // -8
    write(43, 3, HMOVE, 0);
    expect(tia.positions.p0).toBe(35);
    // An HMOVE late in the line does not blank the next line's start and moves per Stella's table.
    write(44, 40, HMOVE, 0);
    expect(tia.positions.p0).toBe(35);
    expect(columns(row(46), 0)).toEqual([]);
  });

  it('NUSIZ copies and sizes: two close copies 16 apart; double width starts one pixel late', () => {
    const { write, row, columns } = setup();
    write(40, 30, RESP0, 0); // 27
    write(41, 0, COLUP0, 0x1e);
    write(41, 0, GRP0, 0x80);
    write(41, 0, NUSIZ0, 0x01);
    expect(columns(row(43), 0x1e)).toEqual([27, 43]);
    write(43, 0, NUSIZ0, 0x05);
    expect(columns(row(45), 0x1e)).toEqual([28, 29]);
    write(45, 0, NUSIZ0, 0x07);
    expect(columns(row(47), 0x1e)).toEqual([28, 29, 30, 31]);
  });

  it('vertical delay: with VDELP0 a GRP0 write shows only after the next GRP1 write', () => {
    const { write, row, columns } = setup();
    write(40, 30, RESP0, 0);
    write(41, 0, COLUP0, 0x1e);
    write(41, 0, VDELP0, 1);
    write(41, 1, GRP0, 0xff);
    expect(columns(row(43), 0x1e)).toEqual([]);
    write(43, 0, GRP1, 0);
    expect(columns(row(45), 0x1e)).toEqual(range(27, 34));
  });
});

describe('Tia playfield, blanking, collisions, inputs', () => {
  it('playfield bits map to 4-pixel columns; reflection mirrors the right half', () => {
    const { write, row, columns } = setup();
    write(40, 0, COLUPF, 0x44);
    write(40, 0, PF0, 0x10); // PF0 bit 4: pixels 0-3
    write(40, 1, PF1, 0x80); // PF1 bit 7: pixels 16-19
    write(40, 2, PF2, 0x01); // PF2 bit 0: pixels 48-51
    const left = [...range(0, 3), ...range(16, 19), ...range(48, 51)];
    expect(columns(row(42), 0x44)).toEqual([...left, ...left.map((x) => x + 80)]);
    write(42, 0, CTRLPF, 0x01);
    expect(columns(row(44), 0x44)).toEqual([...left, ...left.map((x) => 159 - x).reverse()]);
  });

  it('a playfield write lands 2-5 clocks after the write, depending on the clock', () => {
    // Writing PF2 at CPU cycle 40 (clock 120, pixel 52): delay d[(120/3)&3] = d[0] = 4 clocks,
    // so pixels up to 55 show the old value and pixel 56 on the new one.
    const { write, row, columns } = setup();
    write(40, 0, COLUPF, 0x44);
    write(40, 0, PF2, 0xff);
    write(41, 0, PF2, 0xff);
    write(41, 40, PF2, 0x00);
    const on = columns(row(42), 0x44);
    expect(on).toEqual(range(48, 55)); // 48..79 would be lit; cut off from pixel 56
  });

  it('VBLANK draws black; COLUBK fills the rest', () => {
    const { write, row } = setup();
    write(40, 0, COLUBK, 0x82);
    expect(new Set(row(41))).toEqual(new Set([0x82]));
    write(41, 0, VBLANK, 0x02);
    expect(new Set(row(42))).toEqual(new Set([0]));
  });

  it('collisions latch where objects overlap and CXCLR clears them', () => {
    const { tia, write, row } = setup();
    write(40, 30, RESM0, 0); // missile at 26
    write(40, 40, ENAM0, 0x02);
    write(41, 0, PF1, 0xff); // pixels 4..35 playfield
    row(42);
    expect(tia.collisions & 0x0100).toBe(0x0100); // M0-PF
    write(42, 0, CXCLR, 0);
    expect(tia.collisions).toBe(0);
    write(42, 1, PF1, 0x00);
    row(44);
    expect(tia.collisions).toBe(0);
  });

  it('paddle input: INPT0 bit 7 rises once the cycles since the dump was released exceed 0.019 x R', () => {
    const { host, tia, write } = setup();
    const r = 408823;
    host.inputResistance[0] = r;
    const needed = Math.trunc(1.6 * r * 0.01e-6 * 1.19e6); // 7784 cycles
    write(10, 0, VBLANK, 0x80);
    expect(tia.read(0x08) & 0x80).toBe(0);
    write(11, 0, VBLANK, 0x00);
    const released = 11 * 76;
    host.cycles = released + needed;
    expect(tia.read(0x08) & 0x80).toBe(0);
    host.cycles = released + needed + 1;
    expect(tia.read(0x08) & 0x80).toBe(0x80);
    host.inputResistance[0] = 0; // minimum resistance: charged at once
    write(200, 0, VBLANK, 0x80);
    expect(tia.read(0x08) & 0x80).toBe(0x80);
  });

  it('reads carry the data bus in bits 0-5; INPT4 follows the button', () => {
    const { host, tia } = setup();
    host.dataBus = 0xff;
    expect(tia.read(0x0c)).toBe(0xbf);
    host.inpt4 = 0;
    expect(tia.read(0x0c)).toBe(0x3f);
  });

  it('WSYNC moves the clock to the next line start; VSYNC off after a line of VSYNC ends the frame', () => {
    const { host, tia, write } = setup();
    write(5, 20, WSYNC, 0);
    expect(host.cycles).toBe(6 * 76);
    write(6, 0, WSYNC, 0);
    expect(host.cycles).toBe(6 * 76);
    write(10, 0, VSYNC, 0x02);
    write(10, 70, VSYNC, 0x00); // less than one line of VSYNC: no frame end
    expect(host.stopRequested).toBe(false);
    write(11, 0, VSYNC, 0x02);
    write(12, 0, VSYNC, 0x00);
    expect(host.stopRequested).toBe(true);
    tia.endUpdate();
    expect(tia.partialFrame).toBe(false);
    expect(tia.scanlinesLastFrame).toBe(12);
  });
});
