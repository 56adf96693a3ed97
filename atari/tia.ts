/**
 * The TIA (video part), reproducing Stella 2.4.2 as ALE 0.12.1 runs it.
 *
 * Rendering is lazy: the picture is drawn up to the current colour clock whenever the CPU touches
 * the TIA (and at the end of a frame), so a register write changes only the pixels after it.
 * Writes take effect after Stella's per-register delay (playfield writes 2-5 clocks depending on
 * the position in the line, NUSIZ and RESMx 8, GRPx/REFPx/VBLANK 1).
 *
 * Objects are drawn from precomputed masks, one 320-entry row per (alignment, size/copies) with
 * the object's position giving an offset into the row, as Stella does; that keeps Stella's
 * oddities (players stretched by one pixel in double/quad size, the first copy skipped after a
 * RESPx, copies reset only at the end of a line, HMOVE's motion table and its 8-pixel blank).
 * Spans without objects are filled four pixels at a time.
 */

/** What the TIA needs from the machine around it. */
export interface TiaHost {
  /** CPU cycles since the current clock origin (the TIA may move it forward: WSYNC). */
  cycles: number;
  /** Last byte seen on the data bus: the undriven bits of TIA reads. */
  readonly dataBus: number;
  /** Whether the access before the current one was a read (WSYNC halts only then). */
  readonly lastAccessWasRead: boolean;
  /** Set to end the CPU loop after the current instruction. */
  stopRequested: boolean;
  /** Paddle resistance on INPT0..INPT3 (0 = minimum: charged at once; 0x7fffffff: never charges). */
  readonly inputResistance: Int32Array;
  /** INPT4 / INPT5 bit 7 (1 = button released). */
  readonly inpt4: number;
  readonly inpt5: number;
  /** Set the system clock back to 0, telling every device (TIA included) first. */
  resetCycles(): void;
}

const HBLANK = 68;
/** Whether 32-bit words hold their bytes low first (the word-at-a-time drawing assumes so). */
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
/** First scanline shown and number of lines shown (ALE's NTSC window). */
export const FRAME_Y_START = 34;
export const FRAME_HEIGHT = 210;
export const FRAME_WIDTH = 160;
/** Room below the shown window for Stella's over-long HMOVE blanking writes. */
const BUFFER_SIZE = 160 * 300;
const MAX_SCANLINES = 290;

const MINIMUM_RESISTANCE = 0;
const MAXIMUM_RESISTANCE = 0x7fffffff;

// Object bits as Stella numbers them, plus CTRLPF's score and priority bits moved to 0x40/0x80.
const P0_BIT = 0x01;
const M0_BIT = 0x02;
const P1_BIT = 0x04;
const M1_BIT = 0x08;
const BL_BIT = 0x10;
const PF_BIT = 0x20;
const SCORE_BIT = 0x40;
const PRIORITY_BIT = 0x80;

// ---------------------------------------------------------------------------------------------
// Tables. Each object mask row holds, for an object at position 0 + alignment, whether (or for
// players, which graphics bit) it is drawn at each of 320 positions (160 plus a wrap-around copy);
// an object at `pos` uses row offset 160 - (pos & ~3) so that pixel h reads entry
// (h - pos) mod 160 of the alignment-0 pattern.

const ROW = 320;

/** Copy offsets for NUSIZ number modes 0..7 (modes 5 and 7 are single wide copies). */
const COPIES: readonly (readonly number[])[] = [[0], [0, 16], [0, 32], [0, 16, 32], [0, 64], [0], [0, 32, 64], [0]];

function fillAligned(table: Uint8Array, rowStart: number, align: number, pattern: Uint8Array): void {
  for (let x = 0; x < ROW; x++) table[rowStart + x] = pattern[(((x - align) % 160) + 160) % 160];
}

/** [align 4][enable 2][mode 8][320]: graphics bit mask (0x80 >> n) or 0. Enable 1 hides the first copy. */
const PLAYER_MASK = new Uint8Array(4 * 2 * 8 * ROW);
/** [align 4][mode 8][size 4][320] plus a zero row pair (Cosmic Ark's disabled missile). */
const MISSILE_MASK = new Uint8Array(4 * 8 * 4 * ROW + 2 * ROW);
const MISSILE_DISABLED = 4 * 8 * 4 * ROW;
const MISSILE_NONE = MISSILE_DISABLED;
/** [align 4][size 4][320] */
const BALL_MASK = new Uint8Array(4 * 4 * ROW + ROW);
/** An all-zero row of each object table, used for objects that are off. */
const BALL_NONE = 4 * 4 * ROW;
/** [reflect 2][160]: which bit of the 20-bit PF value (PF0 bits 0-3, PF1 4-11, PF2 12-19) shows. */
const PF_MASK = new Int32Array(2 * 160);
const PLAYER_MASK32 = new Uint32Array(PLAYER_MASK.buffer);
const MISSILE_MASK32 = new Uint32Array(MISSILE_MASK.buffer);
const BALL_MASK32 = new Uint32Array(BALL_MASK.buffer);
const REFLECT = new Uint8Array(256);
/** Collision latch bits for each combination of the six object bits. */
const COLLISIONS = new Uint16Array(64);
/** [half 2][enabled | score | priority 256] -> colour index 0 BK, 1 PF, 2 P0, 3 P1. */
const PRIORITY = new Uint8Array(2 * 256);

function playerRow(align: number, enable: number, mode: number): number {
  return ((align * 2 + enable) * 8 + mode) * ROW;
}
/** Mode 0 with the first copy hidden: no pixels at all. */
const PLAYER_NONE = ((0 * 2 + 1) * 8 + 0) * ROW;
function missileRow(align: number, mode: number, size: number): number {
  return ((align * 8 + mode) * 4 + size) * ROW;
}
function ballRow(align: number, size: number): number {
  return (align * 4 + size) * ROW;
}

(function buildTables() {
  const pattern = new Uint8Array(160);
  for (let enable = 0; enable < 2; enable++) {
    for (let mode = 0; mode < 8; mode++) {
      pattern.fill(0);
      if (mode === 5 || mode === 7) {
        // Double and quad width players start one pixel late.
        const scale = mode === 5 ? 2 : 4;
        if (enable === 0) for (let d = 1; d <= 8 * scale; d++) pattern[d] = 0x80 >> ((d - 1) / scale);
      } else {
        for (const c of COPIES[mode]) {
          if (c === 0 && enable === 1) continue;
          for (let n = 0; n < 8; n++) pattern[c + n] = 0x80 >> n;
        }
      }
      for (let align = 0; align < 4; align++) fillAligned(PLAYER_MASK, playerRow(align, enable, mode), align, pattern);
    }
  }
  for (let mode = 0; mode < 8; mode++) {
    for (let size = 0; size < 4; size++) {
      pattern.fill(0);
      for (const c of COPIES[mode]) for (let n = 0; n < 1 << size; n++) pattern[c + n] = 1;
      for (let align = 0; align < 4; align++) fillAligned(MISSILE_MASK, missileRow(align, mode, size), align, pattern);
    }
  }
  for (let size = 0; size < 4; size++) {
    pattern.fill(0);
    for (let n = 0; n < 1 << size; n++) pattern[n] = 1;
    for (let align = 0; align < 4; align++) fillAligned(BALL_MASK, ballRow(align, size), align, pattern);
  }
  for (let x = 0; x < 160; x++) {
    const h = x % 80;
    let normal: number;
    if (h < 16) normal = 1 << (h >> 2);
    else if (h < 48) normal = 0x800 >> ((h - 16) >> 2);
    else normal = 0x1000 << ((h - 48) >> 2);
    PF_MASK[x] = normal;
    let reflected: number;
    if (x < 80) reflected = normal;
    else if (x < 112) reflected = 0x80000 >> ((x - 80) >> 2);
    else if (x < 144) reflected = 0x10 << ((x - 112) >> 2);
    else reflected = 0x08 >> ((x - 144) >> 2);
    PF_MASK[160 + x] = reflected;
  }
  for (let i = 0; i < 256; i++) {
    let r = 0;
    for (let b = 0; b < 8; b++) if (i & (1 << b)) r |= 0x80 >> b;
    REFLECT[i] = r;
  }
  const pairs: [number, number, number][] = [
    [M0_BIT, P1_BIT, 0x0001],
    [M0_BIT, P0_BIT, 0x0002],
    [M1_BIT, P0_BIT, 0x0004],
    [M1_BIT, P1_BIT, 0x0008],
    [P0_BIT, PF_BIT, 0x0010],
    [P0_BIT, BL_BIT, 0x0020],
    [P1_BIT, PF_BIT, 0x0040],
    [P1_BIT, BL_BIT, 0x0080],
    [M0_BIT, PF_BIT, 0x0100],
    [M0_BIT, BL_BIT, 0x0200],
    [M1_BIT, PF_BIT, 0x0400],
    [M1_BIT, BL_BIT, 0x0800],
    [BL_BIT, PF_BIT, 0x1000],
    [P0_BIT, P1_BIT, 0x2000],
    [M0_BIT, M1_BIT, 0x4000],
  ];
  for (let e = 0; e < 64; e++) {
    let c = 0;
    for (const [a, b, bit] of pairs) if (e & a && e & b) c |= bit;
    COLLISIONS[e] = c;
  }
  for (let half = 0; half < 2; half++) {
    for (let e = 0; e < 256; e++) {
      let color = 0;
      if (e & PRIORITY_BIT) {
        // Playfield and ball in front; the score bit is ignored.
        if (e & (P1_BIT | M1_BIT)) color = 3;
        if (e & (P0_BIT | M0_BIT)) color = 2;
        if (e & (BL_BIT | PF_BIT)) color = 1;
      } else {
        if (e & BL_BIT) color = 1;
        if (e & PF_BIT) color = e & SCORE_BIT ? 2 + half : 1;
        // In score mode the left half's playfield (drawn in P0's colour) stays in front of P1.
        if (e & (P1_BIT | M1_BIT)) color = color !== 2 ? 3 : 2;
        if (e & (P0_BIT | M0_BIT)) color = 2;
      }
      PRIORITY[half * 256 + e] = color;
    }
  }
})();

/**
 * Block occupancy: for a mask row offset `off` (a multiple of 4), bit b of OCC_LO[off >> 2]
 * (b < 32) or of OCC_HI[off >> 2] (b >= 32) says whether the object has any pixel in the
 * 4-pixel block b (pixels 4b..4b+3) of the line. Lets spans skip object-free blocks cheaply.
 */
function occupancy(mask32: Uint32Array): { lo: Int32Array; hi: Uint8Array } {
  const words = mask32.length;
  const lo = new Int32Array(words);
  const hi = new Uint8Array(words);
  for (let q = 0; q < words; q++) {
    const rowEnd = (Math.floor(q / 80) + 1) * 80;
    let l = 0;
    let h = 0;
    for (let b = 0; b < 40 && q + b < rowEnd; b++) {
      if (mask32[q + b] !== 0) {
        if (b < 32) l |= 1 << b;
        else h |= 1 << (b - 32);
      }
    }
    lo[q] = l;
    hi[q] = h;
  }
  return { lo, hi };
}
const PLAYER_OCC = occupancy(PLAYER_MASK32);
const MISSILE_OCC = occupancy(MISSILE_MASK32);
const BALL_OCC = occupancy(BALL_MASK32);

/** Extra clocks before a write lands, per register; -1: playfield (depends on the clock). */
// prettier-ignore
const POKE_DELAY = new Int8Array([
  0, 1, 0, 0, 8, 8, 0, 0, 0, 0, 0, 1, 1, -1, -1, -1,
  0, 0, 8, 8, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
]);
const PF_DELAY = [4, 5, 2, 3];
/** PF_DELAY by colour clock within the line (0..227): the delay of the CPU cycle that clock is in. */
const PF_DELAY_AT_CLOCK = new Uint8Array(228);
for (let h = 0; h < 228; h++) PF_DELAY_AT_CLOCK[h] = PF_DELAY[Math.trunc(h / 3) & 3];
/** Registers whose write may change what is drawn (or end the frame), so the picture is brought up to date first. */
const DRAWS_BEFORE_WRITE = new Uint8Array(64).fill(1);
for (const a of [0x02, 0x03, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x20, 0x21, 0x23, 0x24, 0x2b]) DRAWS_BEFORE_WRITE[a] = 0;
for (let a = 0x2d; a < 0x40; a++) DRAWS_BEFORE_WRITE[a] = 0;

/** CPU cycles of a line (0..75) at which an HMOVE turns the 8-pixel blank on. */
const HMOVE_BLANK_CYCLES = new Uint8Array(76);
for (let i = 0; i <= 20; i++) HMOVE_BLANK_CYCLES[i] = 1;
HMOVE_BLANK_CYCLES[75] = 1;

/**
 * Position change of an HMOVE strobed at CPU cycle x (0..75) of the line, for each motion
 * register value 0..15 (Stella's measured table: full motion in HBLANK, partial or odd motion
 * when strobed later in the line).
 */
// prettier-ignore
const MOTION: readonly (readonly number[])[] = (() => {
  const hb = [0, -1, -2, -3, -4, -5, -6, -7, 8, 7, 6, 5, 4, 3, 2, 1];
  const z = new Array<number>(16).fill(0);
  const rows: number[][] = [
    hb, hb, hb, hb,
    [0, -1, -2, -3, -4, -5, -6, -6, 8, 7, 6, 5, 4, 3, 2, 1],
    [0, -1, -2, -3, -4, -5, -5, -5, 8, 7, 6, 5, 4, 3, 2, 1],
    [0, -1, -2, -3, -4, -5, -5, -5, 8, 7, 6, 5, 4, 3, 2, 1],
    [0, -1, -2, -3, -4, -4, -4, -4, 8, 7, 6, 5, 4, 3, 2, 1],
    [0, -1, -2, -3, -3, -3, -3, -3, 8, 7, 6, 5, 4, 3, 2, 1],
    [0, -1, -2, -2, -2, -2, -2, -2, 8, 7, 6, 5, 4, 3, 2, 1],
    [0, -1, -2, -2, -2, -2, -2, -2, 8, 7, 6, 5, 4, 3, 2, 1],
    [0, -1, -1, -1, -1, -1, -1, -1, 8, 7, 6, 5, 4, 3, 2, 1],
    [0, 0, 0, 0, 0, 0, 0, 0, 8, 7, 6, 5, 4, 3, 2, 1],
    [1, 1, 1, 1, 1, 1, 1, 1, 8, 7, 6, 5, 4, 3, 2, 1],
    [1, 1, 1, 1, 1, 1, 1, 1, 8, 7, 6, 5, 4, 3, 2, 1],
    [2, 2, 2, 2, 2, 2, 2, 2, 8, 7, 6, 5, 4, 3, 2, 2],
    [3, 3, 3, 3, 3, 3, 3, 3, 8, 7, 6, 5, 4, 3, 3, 3],
    [4, 4, 4, 4, 4, 4, 4, 4, 8, 7, 6, 5, 4, 4, 4, 4],
    [4, 4, 4, 4, 4, 4, 4, 4, 8, 7, 6, 5, 4, 4, 4, 4],
    [5, 5, 5, 5, 5, 5, 5, 5, 8, 7, 6, 5, 5, 5, 5, 5],
    [6, 6, 6, 6, 6, 6, 6, 6, 8, 7, 6, 6, 6, 6, 6, 6],
  ];
  for (let i = 21; i <= 54; i++) rows.push(z);
  rows.push(
    [0, 0, 0, 0, 0, 0, 0, -1, 0, 0, 0, 0, 0, 0, 0, 0],
    [0, 0, 0, 0, 0, 0, -1, -2, 0, 0, 0, 0, 0, 0, 0, 0],
    [0, 0, 0, 0, 0, -1, -2, -3, 0, 0, 0, 0, 0, 0, 0, 0],
    [0, 0, 0, 0, 0, -1, -2, -3, 0, 0, 0, 0, 0, 0, 0, 0],
    [0, 0, 0, 0, -1, -2, -3, -4, 0, 0, 0, 0, 0, 0, 0, 0],
    [0, 0, 0, -1, -2, -3, -4, -5, 0, 0, 0, 0, 0, 0, 0, 0],
    [0, 0, -1, -2, -3, -4, -5, -6, 0, 0, 0, 0, 0, 0, 0, 0],
    [0, 0, -1, -2, -3, -4, -5, -6, 0, 0, 0, 0, 0, 0, 0, 0],
    [0, -1, -2, -3, -4, -5, -6, -7, 0, 0, 0, 0, 0, 0, 0, 0],
    [-1, -2, -3, -4, -5, -6, -7, -8, 0, 0, 0, 0, 0, 0, 0, 0],
    [-2, -3, -4, -5, -6, -7, -8, -9, 0, 0, 0, 0, 0, 0, 0, -1],
    [-2, -3, -4, -5, -6, -7, -8, -9, 0, 0, 0, 0, 0, 0, 0, -1],
    [-3, -4, -5, -6, -7, -8, -9, -10, 0, 0, 0, 0, 0, 0, -1, -2],
    [-4, -5, -6, -7, -8, -9, -10, -11, 0, 0, 0, 0, 0, -1, -2, -3],
    [-5, -6, -7, -8, -9, -10, -11, -12, 0, 0, 0, 0, -1, -2, -3, -4],
    [-5, -6, -7, -8, -9, -10, -11, -12, 0, 0, 0, 0, -1, -2, -3, -4],
    [-6, -7, -8, -9, -10, -11, -12, -13, 0, 0, 0, -1, -2, -3, -4, -5],
    [-7, -8, -9, -10, -11, -12, -13, -14, 0, 0, -1, -2, -3, -4, -5, -6],
    [-8, -9, -10, -11, -12, -13, -14, -15, 0, -1, -2, -3, -4, -5, -6, -7],
    [-8, -9, -10, -11, -12, -13, -14, -15, 0, -1, -2, -3, -4, -5, -6, -7],
    hb,
  );
  return rows;
})();
const MOTION_FLAT = new Int8Array(76 * 16);
for (let x = 0; x < 76; x++) for (let v = 0; v < 16; v++) MOTION_FLAT[x * 16 + v] = MOTION[x][v];

/**
 * Where a RESPx at new position `newx` falls relative to the player's copies at `oldx`:
 * 1 inside a copy's drawn pixels, -1 in the 4 clocks before a copy starts, 0 elsewhere.
 */
function resetWhen(mode: number, oldx: number, newx: number): number {
  const d = (newx - oldx + 160) % 160;
  const width = mode === 5 ? 16 : mode === 7 ? 32 : 8;
  for (const c of COPIES[mode]) {
    if (d >= c && d < c + 4) return -1;
    if (d >= c + 4 && d < c + 4 + width) return 1;
  }
  return 0;
}

/** Number of Int32 words `saveState` writes. */
export const TIA_STATE_SIZE = 64;

export class Tia {
  /** Two frame buffers of TIA colour values; `frame` is the one being drawn / last completed. */
  private readonly buffers = [new Uint8Array(BUFFER_SIZE), new Uint8Array(BUFFER_SIZE)];
  private readonly views = [this.buffers[0].subarray(0, 160 * FRAME_HEIGHT), this.buffers[1].subarray(0, 160 * FRAME_HEIGHT)];
  private current = 0;
  private fb: Uint8Array = this.buffers[0];
  private fb32: Uint32Array = new Uint32Array(this.buffers[0].buffer);
  private readonly fb32s = [new Uint32Array(this.buffers[0].buffer), new Uint32Array(this.buffers[1].buffer)];
  private framePointer = 0;

  // Frame timing (colour clocks relative to the system clock origin).
  private clockWhenFrameStarted = 0;
  private clockStartDisplay = 0;
  private clockStopDisplay = 0;
  private clockAtLastUpdate = 0;
  private clocksToEndOfScanLine = 228;
  private scanlineCountForLastFrame = 0;
  private currentScanline = 0;
  private vsyncFinishClock = 0x7fffffff;
  /** True while a frame is under way (set when an update starts, cleared when a frame ends). */
  partialFrame = false;
  private frameGreyed = false;
  /** Frames completed since power-on. */
  frameCounter = 0;

  // Registers and derived state.
  private enabledObjects = 0;
  private vsync = 0;
  private vblank = 0;
  private nusiz0 = 0;
  private nusiz1 = 0;
  /** COLUBK, COLUPF, COLUP0, COLUP1 (bit 0 cleared), indexed by PRIORITY's colour index. */
  private readonly colors = new Uint8Array(4);
  private ctrlpf = 0;
  private pfPriorityAndScore = 0;
  private refp0 = 0;
  private refp1 = 0;
  private pf = 0;
  private grp0 = 0;
  private grp1 = 0;
  private dgrp0 = 0;
  private dgrp1 = 0;
  private enam0 = 0;
  private enam1 = 0;
  private enabl = 0;
  private denabl = 0;
  private hmp0 = 0;
  private hmp1 = 0;
  private hmm0 = 0;
  private hmm1 = 0;
  private hmbl = 0;
  private vdelp0 = 0;
  private vdelp1 = 0;
  private vdelbl = 0;
  private resmp0 = 0;
  private resmp1 = 0;
  private collision = 0;
  private posp0 = 0;
  private posp1 = 0;
  private posm0 = 0;
  private posm1 = 0;
  private posbl = 0;
  private currentGRP0 = 0;
  private currentGRP1 = 0;
  // Offsets of the current mask rows (already shifted for the object position).
  private p0Mask = 0;
  private p1Mask = 0;
  private m0Mask = 0;
  private m1Mask = 0;
  private blMask = 0;
  private pfMask = 0;
  private lastHMOVEClock = 0;
  private hmoveBlankEnabled = false;
  private m0CosmicArkMotionEnabled = false;
  private m0CosmicArkCounter = 0;
  private dumpEnabled = false;
  private dumpDisabledCycle = 0;
  /** Cache for readPot: a resistance and its charge time in CPU cycles (not machine state). */
  private potResistance = -1;
  private potNeeded = 0;

  constructor(private readonly host: TiaHost) {
    this.reset();
  }

  /** Hardware reset: registers cleared, both frame buffers cleared, clocks restarted. */
  reset(): void {
    this.enabledObjects = 0;
    this.vsync = 0;
    this.vblank = 0;
    this.nusiz0 = 0;
    this.nusiz1 = 0;
    this.colors.fill(0);
    this.pfPriorityAndScore = 0;
    this.ctrlpf = 0;
    this.refp0 = 0;
    this.refp1 = 0;
    this.pf = 0;
    this.grp0 = this.grp1 = this.dgrp0 = this.dgrp1 = 0;
    this.enam0 = this.enam1 = this.enabl = this.denabl = 0;
    this.hmp0 = this.hmp1 = this.hmm0 = this.hmm1 = this.hmbl = 0;
    this.vdelp0 = this.vdelp1 = this.vdelbl = 0;
    this.resmp0 = this.resmp1 = 0;
    this.collision = 0;
    this.posp0 = this.posp1 = this.posm0 = this.posm1 = this.posbl = 0;
    this.currentGRP0 = this.currentGRP1 = 0;
    this.blMask = ballRow(0, 0) + 160;
    this.m0Mask = missileRow(0, 0, 0) + 160;
    this.m1Mask = missileRow(0, 0, 0) + 160;
    this.p0Mask = playerRow(0, 0, 0) + 160;
    this.p1Mask = playerRow(0, 0, 0) + 160;
    this.pfMask = 0;
    this.lastHMOVEClock = 0;
    this.hmoveBlankEnabled = false;
    this.m0CosmicArkMotionEnabled = false;
    this.m0CosmicArkCounter = 0;
    this.dumpEnabled = false;
    this.dumpDisabledCycle = 0;

    this.buffers[0].fill(0);
    this.buffers[1].fill(0);
    this.framePointer = 0;
    this.clockWhenFrameStarted = this.host.cycles * 3;
    this.clockStartDisplay = this.clockWhenFrameStarted + 228 * FRAME_Y_START;
    this.clockStopDisplay = this.clockStartDisplay + 228 * FRAME_HEIGHT;
    this.clockAtLastUpdate = this.clockWhenFrameStarted;
    this.clocksToEndOfScanLine = 228;
    this.vsyncFinishClock = 0x7fffffff;
    this.scanlineCountForLastFrame = 0;
    this.currentScanline = 0;
  }

  /** The last completed frame (or the one being drawn, between updates): 210 x 160 colour values. */
  get screen(): Uint8Array {
    return this.views[this.current];
  }

  /** Scanlines in the last completed frame. */
  get scanlinesLastFrame(): number {
    return this.scanlineCountForLastFrame;
  }

  /** The system clock is about to be set back to 0 from `cycles`. */
  systemCyclesReset(cycles: number): void {
    this.dumpDisabledCycle = (this.dumpDisabledCycle - cycles) | 0;
    const clocks = cycles * 3;
    this.clockWhenFrameStarted -= clocks;
    this.clockStartDisplay -= clocks;
    this.clockStopDisplay -= clocks;
    this.clockAtLastUpdate -= clocks;
    this.vsyncFinishClock = (this.vsyncFinishClock - clocks) | 0;
    this.lastHMOVEClock = (this.lastHMOVEClock - clocks) | 0;
  }

  /** Called before the CPU runs a frame: starts a new frame unless the last one was cut short. */
  beginUpdate(): void {
    if (!this.partialFrame) this.startFrame();
    this.partialFrame = true;
  }

  /** Called after the CPU loop: a frame that did not end is greyed out once, as ALE shows it. */
  endUpdate(): void {
    const totalClocks = (this.host.cycles * 3 - this.clockWhenFrameStarted) >>> 0;
    this.currentScanline = Math.floor(totalClocks / 228);
    if (this.partialFrame) {
      if (!this.frameGreyed) this.greyOutFrame();
      this.frameGreyed = true;
    } else {
      this.scanlineCountForLastFrame = this.currentScanline;
      this.frameCounter++;
      this.frameGreyed = false;
    }
  }

  private startFrame(): void {
    this.current ^= 1;
    this.fb = this.buffers[this.current];
    this.fb32 = this.fb32s[this.current];
    // Keep the scanline grid running: the new frame starts at the start of the current line.
    const clocks = ((this.host.cycles * 3 - this.clockWhenFrameStarted) >>> 0) % 228;
    this.host.resetCycles();
    // `| 0`: -0 (when clocks is 0) would turn the field into a double, and every `% 228` on it into a slow float modulo.
    this.clockWhenFrameStarted = -clocks | 0;
    this.clockStartDisplay = this.clockWhenFrameStarted + 228 * FRAME_Y_START;
    this.clockStopDisplay = this.clockStartDisplay + 228 * FRAME_HEIGHT;
    this.clockAtLastUpdate = this.clockStartDisplay;
    this.clocksToEndOfScanLine = 228;
    this.framePointer = 0;
    this.frameGreyed = false;
  }

  private greyOutFrame(): void {
    let line = Math.floor(((this.host.cycles * 3 - this.clockWhenFrameStarted) >>> 0) / 228);
    if (line < FRAME_Y_START) line = FRAME_Y_START;
    const fb = this.fb;
    for (let s = line; s < FRAME_HEIGHT + FRAME_Y_START; s++) {
      const row = (s - FRAME_Y_START) * 160;
      for (let i = 0; i < 160; i++) fb[row + i] = (fb[row + i] & 0x0f) >> 1;
    }
  }

  // -------------------------------------------------------------------------------------------
  // Drawing

  /** Draws the frame up to colour clock `clock`. */
  private updateFrame(clock: number): void {
    if (clock < this.clockStartDisplay || this.clockAtLastUpdate >= this.clockStopDisplay || this.clockAtLastUpdate >= clock) {
      return;
    }
    if (clock > this.clockStopDisplay) clock = this.clockStopDisplay;
    do {
      let clocksToUpdate: number;
      let fromStart = 228 - this.clocksToEndOfScanLine;
      if (clock > this.clockAtLastUpdate + this.clocksToEndOfScanLine) {
        clocksToUpdate = this.clocksToEndOfScanLine;
        this.clocksToEndOfScanLine = 228;
        this.clockAtLastUpdate += clocksToUpdate;
      } else {
        clocksToUpdate = clock - this.clockAtLastUpdate;
        this.clocksToEndOfScanLine -= clocksToUpdate;
        this.clockAtLastUpdate = clock;
      }
      // Skip what lies in the horizontal blank.
      if (fromStart < HBLANK) {
        const skip = HBLANK - fromStart < clocksToUpdate ? HBLANK - fromStart : clocksToUpdate;
        fromStart += skip;
        clocksToUpdate -= skip;
      }
      const oldFramePointer = this.framePointer;
      if (clocksToUpdate !== 0) this.drawSpan(clocksToUpdate, fromStart - HBLANK);
      if (this.hmoveBlankEnabled && fromStart < HBLANK + 8) {
        // Stella blanks from the span start to clock 76, even when the span drew less.
        this.fb.fill(0, oldFramePointer, oldFramePointer + HBLANK + 8 - fromStart);
        if (clocksToUpdate + fromStart >= HBLANK + 8) this.hmoveBlankEnabled = false;
      }
      if (this.clocksToEndOfScanLine === 228) this.endOfLine();
    } while (this.clockAtLastUpdate < clock);
  }

  private endOfLine(): void {
    this.pfMask = (this.ctrlpf & 0x01) * 160;
    // Player copies hidden by a RESPx come back on the next line.
    this.p0Mask = playerRow(this.posp0 & 3, 0, this.nusiz0 & 7) + 160 - (this.posp0 & 0xfc);
    this.p1Mask = playerRow(this.posp1 & 3, 0, this.nusiz1 & 7) + 160 - (this.posp1 & 0xfc);
    if (this.m0CosmicArkMotionEnabled) {
      const m = [18, 33, 0, 17];
      this.m0CosmicArkCounter = (this.m0CosmicArkCounter + 1) & 3;
      this.posm0 -= m[this.m0CosmicArkCounter];
      if (this.posm0 >= 160) this.posm0 -= 160;
      else if (this.posm0 < 0) this.posm0 += 160;
      if (this.m0CosmicArkCounter === 1) {
        this.m0Mask =
          missileRow(this.posm0 & 3, this.nusiz0 & 7, ((this.nusiz0 & 0x30) >> 4) | 1) + 160 - (this.posm0 & 0xfc);
      } else if (this.m0CosmicArkCounter === 2) {
        this.m0Mask = MISSILE_DISABLED;
      } else {
        this.updateM0Mask();
      }
    }
  }

  /** Draws `count` visible pixels of the current line starting at pixel `hpos`. */
  private drawSpan(count: number, hpos: number): void {
    const fp = this.framePointer;
    const end = fp + count;
    this.framePointer = end;
    if (this.vblank & 0x02) {
      this.fb.fill(0, fp, end);
      return;
    }
    const objects = this.enabledObjects;
    if (objects === 0) this.fb.fill(this.colors[0], fp, end);
    else if (objects === PF_BIT) this.drawPlayfield(fp, end, hpos);
    else this.drawObjects(fp, end, hpos, objects);
  }

  /**
   * Playfield alone. As in Stella's fast path for this case, score mode colours the playfield
   * with the player colours even when CTRLPF's priority bit is set.
   */
  private drawPlayfield(fp: number, end: number, hpos: number): void {
    const fb = this.fb;
    const colors = this.colors;
    const pf = this.pf;
    const mask = this.pfMask;
    const bk = colors[0];
    const score = (this.pfPriorityAndScore & SCORE_BIT) !== 0;
    const onL = score ? colors[2] : colors[1];
    const onR = score ? colors[3] : colors[1];
    while (fp < end && (hpos & 3) !== 0) {
      fb[fp++] = (pf & PF_MASK[mask + hpos]) !== 0 ? (hpos < 80 ? onL : onR) : bk;
      hpos++;
    }
    // Whole blocks of 4 pixels (one playfield bit each), one 32-bit store per block.
    const fb32 = this.fb32;
    const bk4 = Math.imul(bk, 0x01010101);
    const onL4 = Math.imul(onL, 0x01010101);
    const onR4 = Math.imul(onR, 0x01010101);
    const wEnd = end >> 2;
    let w = fp >> 2;
    for (; w < wEnd && hpos < 80; w++, hpos += 4) fb32[w] = (pf & PF_MASK[mask + hpos]) !== 0 ? onL4 : bk4;
    for (; w < wEnd; w++, hpos += 4) fb32[w] = (pf & PF_MASK[mask + hpos]) !== 0 ? onR4 : bk4;
    fp = w << 2;
    while (fp < end) {
      fb[fp++] = (pf & PF_MASK[mask + hpos]) !== 0 ? (hpos < 80 ? onL : onR) : bk;
      hpos++;
    }
  }

  /**
   * General case: any objects on. Works block by block (the 4 pixels sharing one playfield bit):
   * runs of blocks without object pixels are filled with the playfield/background colour, other
   * blocks are drawn pixel by pixel with priorities and collisions.
   */
  private drawObjects(fp: number, end: number, hpos: number, objects: number): void {
    const fb = this.fb;
    const fb32 = this.fb32;
    const colors = this.colors;
    const pf = this.pf;
    const pfMask = this.pfMask;
    const pfps = this.pfPriorityAndScore;
    const grp0 = this.currentGRP0;
    const grp1 = this.currentGRP1;
    const grp0x4 = Math.imul(grp0, 0x01010101);
    const grp1x4 = Math.imul(grp1, 0x01010101);
    // Mask rows; objects that are off read an all-zero row.
    const p0 = grp0 !== 0 ? this.p0Mask : PLAYER_NONE;
    const p1 = grp1 !== 0 ? this.p1Mask : PLAYER_NONE;
    const m0 = objects & M0_BIT ? this.m0Mask : MISSILE_NONE;
    const m1 = objects & M1_BIT ? this.m1Mask : MISSILE_NONE;
    const bl = objects & BL_BIT ? this.blMask : BALL_NONE;
    // Which 4-pixel blocks of the line each object touches (blocks 0-31 in *Lo, 32-39 in *Hi).
    const p0Lo = PLAYER_OCC.lo[p0 >> 2];
    const p1Lo = PLAYER_OCC.lo[p1 >> 2];
    const m0Lo = MISSILE_OCC.lo[m0 >> 2];
    const m1Lo = MISSILE_OCC.lo[m1 >> 2];
    const blLo = BALL_OCC.lo[bl >> 2];
    const p0Hi = PLAYER_OCC.hi[p0 >> 2];
    const p1Hi = PLAYER_OCC.hi[p1 >> 2];
    const m0Hi = MISSILE_OCC.hi[m0 >> 2];
    const m1Hi = MISSILE_OCC.hi[m1 >> 2];
    const blHi = BALL_OCC.hi[bl >> 2];
    const occLo = p0Lo | p1Lo | m0Lo | m1Lo | blLo;
    const occHi = p0Hi | p1Hi | m0Hi | m1Hi | blHi;
    // Colour of an object-free block, by half and playfield bit.
    const pfL = colors[PRIORITY[PF_BIT | pfps]];
    const pfR = colors[PRIORITY[256 + (PF_BIT | pfps)]];
    const bkL = colors[PRIORITY[pfps]];
    const bkR = colors[PRIORITY[256 + pfps]];
    const pfL4 = Math.imul(pfL, 0x01010101);
    const pfR4 = Math.imul(pfR, 0x01010101);
    const bkL4 = Math.imul(bkL, 0x01010101);
    const bkR4 = Math.imul(bkR, 0x01010101);
    let collision = this.collision;
    while (fp < end) {
      const b = hpos >> 2;
      let n = 4 - (hpos & 3);
      if (n > end - fp) n = end - fp;
      const hi = b >= 32;
      const sh = b & 31;
      if ((((hi ? occHi : occLo) >>> sh) & 1) === 0) {
        if (n < 4) {
          const on = (pf & PF_MASK[pfMask + hpos]) !== 0;
          const color = hpos < 80 ? (on ? pfL : bkL) : on ? pfR : bkR;
          for (let i = 0; i < n; i++) fb[fp + i] = color;
          fp += n;
          hpos += n;
          continue;
        }
        // A run of whole object-free blocks: up to the next occupied block or the span's end.
        let next: number;
        const restLo = hi ? 0 : occLo & (-1 << sh);
        if (restLo !== 0) next = 31 - Math.clz32(restLo & -restLo);
        else {
          const restHi = hi ? occHi & (-1 << sh) : occHi;
          next = restHi !== 0 ? 63 - Math.clz32(restHi & -restHi) : 40;
        }
        let w = fp >> 2;
        let wEnd = w + (next - b);
        if (wEnd > end >> 2) wEnd = end >> 2;
        // Left half, then right half, each with its two 4-pixel colour words.
        let i = pfMask + hpos;
        if (hpos < 80) {
          const wMid = wEnd < w + ((80 - hpos) >> 2) ? wEnd : w + ((80 - hpos) >> 2);
          for (; w < wMid; w++, i += 4) fb32[w] = (pf & PF_MASK[i]) !== 0 ? pfL4 : bkL4;
        }
        for (; w < wEnd; w++, i += 4) fb32[w] = (pf & PF_MASK[i]) !== 0 ? pfR4 : bkR4;
        hpos = i - pfMask;
        fp = w << 2;
        continue;
      }
      // Pixel by pixel, testing only the objects present in this block.
      const inP0 = (((hi ? p0Hi : p0Lo) >>> sh) & 1) !== 0;
      const inP1 = (((hi ? p1Hi : p1Lo) >>> sh) & 1) !== 0;
      const inM0 = (((hi ? m0Hi : m0Lo) >>> sh) & 1) !== 0;
      const inM1 = (((hi ? m1Hi : m1Lo) >>> sh) & 1) !== 0;
      const inBl = (((hi ? blHi : blLo) >>> sh) & 1) !== 0;
      const half = hpos < 80 ? 0 : 256;
      if (n === 4 && LITTLE_ENDIAN) {
        // A whole block at once: one byte of object bits per pixel in a 32-bit word (pixel k in
        // byte k). Missile and ball mask bytes are 0/1, shifted onto their bit; a player's byte is
        // nonzero where its graphics bit shows, turned into 0x80 per byte without carries between bytes.
        const w = hpos >> 2;
        let e4 = (pf & PF_MASK[pfMask + hpos]) !== 0 ? PF_BIT * 0x01010101 : 0;
        if (inBl) e4 |= BALL_MASK32[(bl >> 2) + w] << 4;
        if (inM0) e4 |= MISSILE_MASK32[(m0 >> 2) + w] << 1;
        if (inM1) e4 |= MISSILE_MASK32[(m1 >> 2) + w] << 3;
        if (inP0) {
          const t = PLAYER_MASK32[(p0 >> 2) + w] & grp0x4;
          e4 |= ((((t & 0x7f7f7f7f) + 0x7f7f7f7f) | t) & 0x80808080) >>> 7;
        }
        if (inP1) {
          const t = PLAYER_MASK32[(p1 >> 2) + w] & grp1x4;
          e4 |= ((((t & 0x7f7f7f7f) + 0x7f7f7f7f) | t) & 0x80808080) >>> 5;
        }
        const e0 = e4 & 0xff;
        if (e4 === Math.imul(e0, 0x01010101)) {
          collision |= COLLISIONS[e0];
          fb32[fp >> 2] = Math.imul(colors[PRIORITY[half + (e0 | pfps)]], 0x01010101);
        } else {
          const e1 = (e4 >>> 8) & 0xff;
          const e2 = (e4 >>> 16) & 0xff;
          const e3 = e4 >>> 24;
          collision |= COLLISIONS[e0] | COLLISIONS[e1] | COLLISIONS[e2] | COLLISIONS[e3];
          fb[fp] = colors[PRIORITY[half + (e0 | pfps)]];
          fb[fp + 1] = colors[PRIORITY[half + (e1 | pfps)]];
          fb[fp + 2] = colors[PRIORITY[half + (e2 | pfps)]];
          fb[fp + 3] = colors[PRIORITY[half + (e3 | pfps)]];
        }
        fp += 4;
        hpos += 4;
        continue;
      }
      const stop = fp + n;
      while (fp < stop) {
        let e = (pf & PF_MASK[pfMask + hpos]) !== 0 ? PF_BIT : 0;
        if (inBl && BALL_MASK[bl + hpos] !== 0) e |= BL_BIT;
        if (inP1 && (grp1 & PLAYER_MASK[p1 + hpos]) !== 0) e |= P1_BIT;
        if (inM1 && MISSILE_MASK[m1 + hpos] !== 0) e |= M1_BIT;
        if (inP0 && (grp0 & PLAYER_MASK[p0 + hpos]) !== 0) e |= P0_BIT;
        if (inM0 && MISSILE_MASK[m0 + hpos] !== 0) e |= M0_BIT;
        collision |= COLLISIONS[e];
        fb[fp] = colors[PRIORITY[half + (e | pfps)]];
        fp++;
        hpos++;
      }
    }
    this.collision = collision;
  }

  private updateM0Mask(): void {
    this.m0Mask = missileRow(this.posm0 & 3, this.nusiz0 & 7, (this.nusiz0 & 0x30) >> 4) + 160 - (this.posm0 & 0xfc);
  }
  private updateM1Mask(): void {
    this.m1Mask = missileRow(this.posm1 & 3, this.nusiz1 & 7, (this.nusiz1 & 0x30) >> 4) + 160 - (this.posm1 & 0xfc);
  }
  private updateBLMask(): void {
    this.blMask = ballRow(this.posbl & 3, (this.ctrlpf & 0x30) >> 4) + 160 - (this.posbl & 0xfc);
  }
  private playerMask(pos: number, enable: number, nusiz: number): number {
    return playerRow(pos & 3, enable, nusiz & 7) + 160 - (pos & 0xfc);
  }

  // -------------------------------------------------------------------------------------------
  // Bus access

  read(address: number): number {
    const host = this.host;
    // Only the collision latches depend on the picture drawn so far. Stella draws up to the
    // current clock on every read; skipping it for the input ports changes nothing, since drawing
    // later with the same registers gives the same pixels.
    if ((address & 0x08) === 0) this.updateFrame(host.cycles * 3);
    const noise = host.dataBus & 0x3f;
    const c = this.collision;
    switch (address & 0x0f) {
      case 0x00:
        return (c & 0x0001 ? 0x80 : 0) | (c & 0x0002 ? 0x40 : 0) | noise;
      case 0x01:
        return (c & 0x0004 ? 0x80 : 0) | (c & 0x0008 ? 0x40 : 0) | noise;
      case 0x02:
        return (c & 0x0010 ? 0x80 : 0) | (c & 0x0020 ? 0x40 : 0) | noise;
      case 0x03:
        return (c & 0x0040 ? 0x80 : 0) | (c & 0x0080 ? 0x40 : 0) | noise;
      case 0x04:
        return (c & 0x0100 ? 0x80 : 0) | (c & 0x0200 ? 0x40 : 0) | noise;
      case 0x05:
        return (c & 0x0400 ? 0x80 : 0) | (c & 0x0800 ? 0x40 : 0) | noise;
      case 0x06:
        return (c & 0x1000 ? 0x80 : 0) | noise;
      case 0x07:
        return (c & 0x2000 ? 0x80 : 0) | (c & 0x4000 ? 0x40 : 0) | noise;
      case 0x08:
      case 0x09:
      case 0x0a:
      case 0x0b:
        return this.readPot(host.inputResistance[address & 0x03]) | noise;
      case 0x0c:
        return (host.inpt4 ? 0x80 : 0) | noise;
      case 0x0d:
        return (host.inpt5 ? 0x80 : 0) | noise;
      default:
        return noise;
    }
  }

  /** Bit 7 of a paddle input: set once its capacitor has charged since the dump was released. */
  private readPot(r: number): number {
    if (r === MINIMUM_RESISTANCE) return 0x80;
    if (r === MAXIMUM_RESISTANCE || this.dumpEnabled) return 0;
    // The charge time of the last resistance asked about, kept: games poll the paddle every line.
    if (r !== this.potResistance) {
      this.potResistance = r;
      this.potNeeded = Math.trunc(1.6 * r * 0.01e-6 * 1.19e6) >>> 0;
    }
    const needed = this.potNeeded;
    // Unsigned 32-bit comparison, as Stella makes it (the dump cycle goes negative after a frame
    // start, which can make a long-released input read as uncharged).
    return this.host.cycles >>> 0 > ((this.dumpDisabledCycle + needed) >>> 0) ? 0x80 : 0;
  }

  write(address: number, value: number): void {
    const host = this.host;
    const addr = address & 0x3f;
    const clock = host.cycles * 3;
    let delay = POKE_DELAY[addr];
    if (delay === -1) {
      const h = (clock - this.clockWhenFrameStarted) % 228;
      delay = h >= 0 ? PF_DELAY_AT_CLOCK[h] : PF_DELAY[(h / 3) & 3];
    }
    // Writes that cannot change the picture (WSYNC, RSYNC, audio, HMxx except HMM0, HMCLR) need
    // not draw up to their clock first: the same pixels get drawn by the next update.
    if (DRAWS_BEFORE_WRITE[addr]) this.updateFrame(clock + delay);

    // No VSYNC in time: end the frame anyway (more than 290 whole lines since the frame start).
    if (clock - this.clockWhenFrameStarted >= (MAX_SCANLINES + 1) * 228) {
      host.stopRequested = true;
      this.partialFrame = false;
    }

    switch (addr) {
      case 0x00: // VSYNC
        this.vsync = value;
        if (value & 0x02) {
          this.vsyncFinishClock = clock + 228;
        } else if (clock >= this.vsyncFinishClock) {
          this.vsyncFinishClock = 0x7fffffff;
          host.stopRequested = true;
          this.partialFrame = false;
        }
        break;
      case 0x01: // VBLANK
        if (!(this.vblank & 0x80) && value & 0x80) this.dumpEnabled = true;
        if (this.vblank & 0x80 && !(value & 0x80)) {
          this.dumpEnabled = false;
          this.dumpDisabledCycle = host.cycles | 0;
        }
        this.vblank = value;
        break;
      case 0x02: // WSYNC
        if (host.lastAccessWasRead) {
          // Integers throughout (the frame start is a whole number of CPU cycles).
          const k = (-this.clockWhenFrameStarted / 3) | 0;
          const toEnd = (76 - ((host.cycles + k) % 76)) | 0;
          if (toEnd < 76) host.cycles += toEnd;
        }
        break;
      case 0x03: // RSYNC: not emulated
        break;
      case 0x04: // NUSIZ0
        this.nusiz0 = value;
        this.p0Mask = this.playerMask(this.posp0, 0, value);
        this.updateM0Mask();
        break;
      case 0x05: // NUSIZ1
        this.nusiz1 = value;
        this.p1Mask = this.playerMask(this.posp1, 0, value);
        this.updateM1Mask();
        break;
      case 0x06: // COLUP0
        this.colors[2] = value & 0xfe;
        break;
      case 0x07: // COLUP1
        this.colors[3] = value & 0xfe;
        break;
      case 0x08: // COLUPF
        this.colors[1] = value & 0xfe;
        break;
      case 0x09: // COLUBK
        this.colors[0] = value & 0xfe;
        break;
      case 0x0a: // CTRLPF
        this.ctrlpf = value;
        this.pfPriorityAndScore = (value & 0x06) << 5;
        // Reflection changes at once only while the left half is still to be drawn.
        if ((clock - this.clockWhenFrameStarted) % 228 < HBLANK + 79) this.pfMask = (value & 0x01) * 160;
        this.updateBLMask();
        break;
      case 0x0b: // REFP0
        if (((value & 0x08) !== 0) !== (this.refp0 !== 0)) {
          this.refp0 = value & 0x08 ? 1 : 0;
          this.currentGRP0 = REFLECT[this.currentGRP0];
        }
        break;
      case 0x0c: // REFP1
        if (((value & 0x08) !== 0) !== (this.refp1 !== 0)) {
          this.refp1 = value & 0x08 ? 1 : 0;
          this.currentGRP1 = REFLECT[this.currentGRP1];
        }
        break;
      case 0x0d: // PF0
        this.pf = (this.pf & 0x000ffff0) | ((value >> 4) & 0x0f);
        this.updatePFBit();
        break;
      case 0x0e: // PF1
        this.pf = (this.pf & 0x000ff00f) | (value << 4);
        this.updatePFBit();
        break;
      case 0x0f: // PF2
        this.pf = (this.pf & 0x00000fff) | (value << 12);
        this.updatePFBit();
        break;
      case 0x10: // RESP0
        this.resetPlayer0(clock);
        break;
      case 0x11: // RESP1
        this.resetPlayer1(clock);
        break;
      case 0x12: {
        // RESM0
        const hpos = (clock - this.clockWhenFrameStarted) % 228;
        this.posm0 = hpos < HBLANK ? 2 : (hpos - HBLANK + 4) % 160;
        // Stella's special case for Dolphin.
        if (clock - this.lastHMOVEClock === 20 * 3 && hpos === 69) this.posm0 = 8;
        this.updateM0Mask();
        break;
      }
      case 0x13: {
        // RESM1
        const hpos = (clock - this.clockWhenFrameStarted) % 228;
        this.posm1 = hpos < HBLANK ? 2 : (hpos - HBLANK + 4) % 160;
        // Stella's special case for Pitfall II.
        if (clock - this.lastHMOVEClock === 3 * 3 && hpos === 18) this.posm1 = 3;
        this.updateM1Mask();
        break;
      }
      case 0x14: {
        // RESBL
        const hpos = (clock - this.clockWhenFrameStarted) % 228;
        this.posbl = hpos < HBLANK ? 2 : (hpos - HBLANK + 4) % 160;
        // Stella's special cases for RESBL shortly after HMOVE (Escape from the Mindmaster,
        // Decathlon, Robot Tank, Hole Hunter).
        const since = clock - this.lastHMOVEClock;
        if (since === 18 * 3 && (hpos === 60 || hpos === 69)) this.posbl = 10;
        else if (since === 3 * 3 && hpos === 18) this.posbl = 3;
        else if (since === 7 * 3 && hpos === 30) this.posbl = 6;
        else if (since === 6 * 3 && hpos === 27) this.posbl = 5;
        this.updateBLMask();
        break;
      }
      case 0x1b: // GRP0
        this.grp0 = value;
        this.dgrp1 = this.grp1;
        this.updateCurrentGRP0();
        this.updateCurrentGRP1();
        break;
      case 0x1c: // GRP1
        this.grp1 = value;
        this.dgrp0 = this.grp0;
        this.denabl = this.enabl;
        this.updateCurrentGRP0();
        this.updateCurrentGRP1();
        this.updateBLBit();
        break;
      case 0x1d: // ENAM0
        this.enam0 = value & 0x02;
        this.updateM0Bit();
        break;
      case 0x1e: // ENAM1
        this.enam1 = value & 0x02;
        this.updateM1Bit();
        break;
      case 0x1f: // ENABL
        this.enabl = value & 0x02;
        this.updateBLBit();
        break;
      case 0x20:
        this.hmp0 = value >> 4;
        break;
      case 0x21:
        this.hmp1 = value >> 4;
        break;
      case 0x22: {
        const hm = value >> 4;
        // The "Cosmic Ark" starfield: HMM0 changed from 7 to 6 exactly 21 cycles after HMOVE.
        if (clock === this.lastHMOVEClock + 21 * 3 && this.hmm0 === 7 && hm === 6) {
          this.m0CosmicArkMotionEnabled = true;
          this.m0CosmicArkCounter = 0;
        }
        this.hmm0 = hm;
        break;
      }
      case 0x23:
        this.hmm1 = value >> 4;
        break;
      case 0x24:
        this.hmbl = value >> 4;
        break;
      case 0x25: // VDELP0
        this.vdelp0 = value & 0x01;
        this.updateCurrentGRP0();
        break;
      case 0x26: // VDELP1
        this.vdelp1 = value & 0x01;
        this.updateCurrentGRP1();
        break;
      case 0x27: // VDELBL
        this.vdelbl = value & 0x01;
        this.updateBLBit();
        break;
      case 0x28: // RESMP0
        if (this.resmp0 && !(value & 0x02)) {
          const middle = (this.nusiz0 & 7) === 5 ? 8 : (this.nusiz0 & 7) === 7 ? 16 : 4;
          this.posm0 = (this.posp0 + middle) % 160;
          this.updateM0Mask();
        }
        this.resmp0 = value & 0x02;
        this.updateM0Bit();
        break;
      case 0x29: // RESMP1
        if (this.resmp1 && !(value & 0x02)) {
          const middle = (this.nusiz1 & 7) === 5 ? 8 : (this.nusiz1 & 7) === 7 ? 16 : 4;
          this.posm1 = (this.posp1 + middle) % 160;
          this.updateM1Mask();
        }
        this.resmp1 = value & 0x02;
        this.updateM1Bit();
        break;
      case 0x2a: // HMOVE
        this.hmove(clock);
        break;
      case 0x2b: // HMCLR
        this.hmp0 = this.hmp1 = this.hmm0 = this.hmm1 = this.hmbl = 0;
        break;
      case 0x2c: // CXCLR
        this.collision = 0;
        break;
      default:
        // Audio registers and unused addresses: no effect on the picture.
        break;
    }
  }

  private hmove(clock: number): void {
    const x = Math.trunc(((clock - this.clockWhenFrameStarted) % 228) / 3);
    if (HMOVE_BLANK_CYCLES[x]) this.hmoveBlankEnabled = true;
    const row = x * 16;
    this.posp0 = wrap160(this.posp0 + MOTION_FLAT[row + this.hmp0]);
    this.posp1 = wrap160(this.posp1 + MOTION_FLAT[row + this.hmp1]);
    this.posm0 = wrap160(this.posm0 + MOTION_FLAT[row + this.hmm0]);
    this.posm1 = wrap160(this.posm1 + MOTION_FLAT[row + this.hmm1]);
    this.posbl = wrap160(this.posbl + MOTION_FLAT[row + this.hmbl]);
    this.updateBLMask();
    this.p0Mask = this.playerMask(this.posp0, 0, this.nusiz0);
    this.p1Mask = this.playerMask(this.posp1, 0, this.nusiz1);
    this.updateM0Mask();
    this.updateM1Mask();
    this.lastHMOVEClock = clock | 0;
    this.m0CosmicArkMotionEnabled = false;
  }

  private resetPlayer0(clock: number): void {
    const hpos = (clock - this.clockWhenFrameStarted) % 228;
    const newx = hpos < HBLANK ? 3 : (hpos - HBLANK + 5) % 160;
    const when = resetWhen(this.nusiz0 & 7, this.posp0, newx);
    // Reset during a copy's pixels: finish drawing it first (Stella draws 11 clocks ahead).
    if (when === 1) this.updateFrame(clock + 11);
    this.posp0 = newx;
    this.p0Mask = this.playerMask(newx, when === -1 ? 0 : 1, this.nusiz0);
  }

  private resetPlayer1(clock: number): void {
    const hpos = (clock - this.clockWhenFrameStarted) % 228;
    const newx = hpos < HBLANK ? 3 : (hpos - HBLANK + 5) % 160;
    const when = resetWhen(this.nusiz1 & 7, this.posp1, newx);
    if (when === 1) this.updateFrame(clock + 11);
    this.posp1 = newx;
    this.p1Mask = this.playerMask(newx, when === -1 ? 0 : 1, this.nusiz1);
  }

  private updatePFBit(): void {
    if (this.pf === 0) this.enabledObjects &= ~PF_BIT;
    else this.enabledObjects |= PF_BIT;
  }

  private updateCurrentGRP0(): void {
    const g = this.vdelp0 ? this.dgrp0 : this.grp0;
    this.currentGRP0 = this.refp0 ? REFLECT[g] : g;
    if (this.currentGRP0 !== 0) this.enabledObjects |= P0_BIT;
    else this.enabledObjects &= ~P0_BIT;
  }

  private updateCurrentGRP1(): void {
    const g = this.vdelp1 ? this.dgrp1 : this.grp1;
    this.currentGRP1 = this.refp1 ? REFLECT[g] : g;
    if (this.currentGRP1 !== 0) this.enabledObjects |= P1_BIT;
    else this.enabledObjects &= ~P1_BIT;
  }

  private updateM0Bit(): void {
    if (this.enam0 && !this.resmp0) this.enabledObjects |= M0_BIT;
    else this.enabledObjects &= ~M0_BIT;
  }

  private updateM1Bit(): void {
    if (this.enam1 && !this.resmp1) this.enabledObjects |= M1_BIT;
    else this.enabledObjects &= ~M1_BIT;
  }

  private updateBLBit(): void {
    if (this.vdelbl ? this.denabl : this.enabl) this.enabledObjects |= BL_BIT;
    else this.enabledObjects &= ~BL_BIT;
  }

  // -------------------------------------------------------------------------------------------
  // Inspection (tests, debugging)

  /** Horizontal positions (0..159) of P0, P1, M0, M1, BL. */
  get positions(): { p0: number; p1: number; m0: number; m1: number; bl: number } {
    return { p0: this.posp0, p1: this.posp1, m0: this.posm0, m1: this.posm1, bl: this.posbl };
  }

  /** The 15 collision latches, Stella's bit layout. */
  get collisions(): number {
    return this.collision;
  }

  // -------------------------------------------------------------------------------------------
  // State (frame buffers are not part of it, as in ALE)

  saveState(out: Int32Array, at: number): void {
    const s = out;
    let i = at;
    s[i++] = this.clockWhenFrameStarted;
    s[i++] = this.clockStartDisplay;
    s[i++] = this.clockStopDisplay;
    s[i++] = this.clockAtLastUpdate;
    s[i++] = this.clocksToEndOfScanLine;
    s[i++] = this.scanlineCountForLastFrame;
    s[i++] = this.currentScanline;
    s[i++] = this.vsyncFinishClock;
    s[i++] = this.enabledObjects;
    s[i++] = this.vsync;
    s[i++] = this.vblank;
    s[i++] = this.nusiz0;
    s[i++] = this.nusiz1;
    s[i++] = this.colors[0];
    s[i++] = this.colors[1];
    s[i++] = this.colors[2];
    s[i++] = this.colors[3];
    s[i++] = this.ctrlpf;
    s[i++] = this.pfPriorityAndScore;
    s[i++] = this.refp0;
    s[i++] = this.refp1;
    s[i++] = this.pf;
    s[i++] = this.grp0;
    s[i++] = this.grp1;
    s[i++] = this.dgrp0;
    s[i++] = this.dgrp1;
    s[i++] = this.enam0;
    s[i++] = this.enam1;
    s[i++] = this.enabl;
    s[i++] = this.denabl;
    s[i++] = this.hmp0;
    s[i++] = this.hmp1;
    s[i++] = this.hmm0;
    s[i++] = this.hmm1;
    s[i++] = this.hmbl;
    s[i++] = this.vdelp0;
    s[i++] = this.vdelp1;
    s[i++] = this.vdelbl;
    s[i++] = this.resmp0;
    s[i++] = this.resmp1;
    s[i++] = this.collision;
    s[i++] = this.posp0;
    s[i++] = this.posp1;
    s[i++] = this.posm0;
    s[i++] = this.posm1;
    s[i++] = this.posbl;
    s[i++] = this.currentGRP0;
    s[i++] = this.currentGRP1;
    s[i++] = this.p0Mask;
    s[i++] = this.p1Mask;
    s[i++] = this.m0Mask;
    s[i++] = this.m1Mask;
    s[i++] = this.blMask;
    s[i++] = this.pfMask;
    s[i++] = this.lastHMOVEClock;
    s[i++] = this.hmoveBlankEnabled ? 1 : 0;
    s[i++] = this.m0CosmicArkMotionEnabled ? 1 : 0;
    s[i++] = this.m0CosmicArkCounter;
    s[i++] = this.dumpEnabled ? 1 : 0;
    s[i++] = this.dumpDisabledCycle;
    s[i++] = this.partialFrame ? 1 : 0;
    s[i++] = this.frameGreyed ? 1 : 0;
    s[i++] = this.framePointer;
    s[i++] = this.frameCounter;
  }

  loadState(s: Int32Array, at: number): void {
    let i = at;
    this.clockWhenFrameStarted = s[i++];
    this.clockStartDisplay = s[i++];
    this.clockStopDisplay = s[i++];
    this.clockAtLastUpdate = s[i++];
    this.clocksToEndOfScanLine = s[i++];
    this.scanlineCountForLastFrame = s[i++];
    this.currentScanline = s[i++];
    this.vsyncFinishClock = s[i++];
    this.enabledObjects = s[i++];
    this.vsync = s[i++];
    this.vblank = s[i++];
    this.nusiz0 = s[i++];
    this.nusiz1 = s[i++];
    this.colors[0] = s[i++];
    this.colors[1] = s[i++];
    this.colors[2] = s[i++];
    this.colors[3] = s[i++];
    this.ctrlpf = s[i++];
    this.pfPriorityAndScore = s[i++];
    this.refp0 = s[i++];
    this.refp1 = s[i++];
    this.pf = s[i++];
    this.grp0 = s[i++];
    this.grp1 = s[i++];
    this.dgrp0 = s[i++];
    this.dgrp1 = s[i++];
    this.enam0 = s[i++];
    this.enam1 = s[i++];
    this.enabl = s[i++];
    this.denabl = s[i++];
    this.hmp0 = s[i++];
    this.hmp1 = s[i++];
    this.hmm0 = s[i++];
    this.hmm1 = s[i++];
    this.hmbl = s[i++];
    this.vdelp0 = s[i++];
    this.vdelp1 = s[i++];
    this.vdelbl = s[i++];
    this.resmp0 = s[i++];
    this.resmp1 = s[i++];
    this.collision = s[i++];
    this.posp0 = s[i++];
    this.posp1 = s[i++];
    this.posm0 = s[i++];
    this.posm1 = s[i++];
    this.posbl = s[i++];
    this.currentGRP0 = s[i++];
    this.currentGRP1 = s[i++];
    this.p0Mask = s[i++];
    this.p1Mask = s[i++];
    this.m0Mask = s[i++];
    this.m1Mask = s[i++];
    this.blMask = s[i++];
    this.pfMask = s[i++];
    this.lastHMOVEClock = s[i++];
    this.hmoveBlankEnabled = s[i++] !== 0;
    this.m0CosmicArkMotionEnabled = s[i++] !== 0;
    this.m0CosmicArkCounter = s[i++];
    this.dumpEnabled = s[i++] !== 0;
    this.dumpDisabledCycle = s[i++];
    this.partialFrame = s[i++] !== 0;
    this.frameGreyed = s[i++] !== 0;
    this.framePointer = s[i++];
    this.frameCounter = s[i++];
  }
}

function wrap160(p: number): number {
  if (p >= 160) return p - 160;
  if (p < 0) return p + 160;
  return p;
}
