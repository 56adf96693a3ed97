/**
 * The Atari 2600 console: the 6507 CPU, TIA, RIOT and cartridge on one 13-bit bus, the
 * controller and switch inputs, and frame-at-a-time running as Stella does it for ALE.
 *
 * Address decoding (A12, A9, A7): cartridge when A12 = 1; otherwise TIA when A7 = 0, RIOT RAM
 * when A7 = 1 and A9 = 0, RIOT I/O and timer when A7 = 1 and A9 = 1.
 *
 * One `runFrame()` is one TIA update: the CPU runs until the frame ends (VSYNC switched off
 * after at least one scanline of VSYNC, or a TIA write more than 290 lines into the frame),
 * or for at most 25,000 instructions (a partial frame, which the next call continues).
 */
import type { Bus } from './bus';
import { Cartridge } from './cartridge';
import { Cpu } from './cpu';
import { Mt19937 } from './mt19937';
import { RIOT_STATE_SIZE, Riot, type RiotHost } from './riot';
import { TIA_STATE_SIZE, Tia, type TiaHost } from './tia';

/** Instructions one frame may run at most (ALE's limit). */
export const MAX_INSTRUCTIONS_PER_FRAME = 25000;
/** ALE's default `system_random_seed`: RAM contents and timer start at power-on. */
export const DEFAULT_SYSTEM_SEED = 4753849;
/** Paddle resistance that never charges (a joystick's unconnected pot lines). */
export const NO_PADDLE = 0x7fffffff;

const CPU_STATE_AT = 0;
const CONSOLE_STATE_AT = 8;
const RIOT_STATE_AT = 16;
const TIA_STATE_AT = RIOT_STATE_AT + RIOT_STATE_SIZE;
/** Int32 words in a saved machine state (besides RAM). */
export const CONSOLE_STATE_SIZE = TIA_STATE_AT + TIA_STATE_SIZE;

/** A snapshot of the machine: registers in `regs`, the 128 RAM bytes in `ram`. */
export interface MachineState {
  regs: Int32Array;
  ram: Uint8Array;
}

export class Console implements Bus, TiaHost, RiotHost {
  cycles = 0;
  dataBus = 0;
  lastAccessWasRead = true;
  stopRequested = false;

  // Inputs, set by whoever drives the controllers (see `Ale`).
  /** SWCHA as the controllers drive it (bit 7: paddle 0 button / P0 right, ... 1 = released). */
  swcha = 0xff;
  /** SWCHB: console switches (bit 0 RESET, 1 SELECT, 3 colour, 6/7 difficulty A; 0 = pressed). */
  swchb = 0xff;
  readonly inputResistance = new Int32Array([NO_PADDLE, NO_PADDLE, NO_PADDLE, NO_PADDLE]);
  inpt4 = 1;
  inpt5 = 1;

  readonly cart: Cartridge;
  /** 2K/4K cartridges (no bank switching): the ROM read directly, `romMask` its address bits; 0 otherwise. */
  private readonly rom: Uint8Array;
  private readonly romMask: number;
  /** Per ROM offset: 1 where a `LDA INTIM / BNE` wait loop starts (see skipTimerWait). */
  private readonly spinLoopAt: Uint8Array;
  readonly riot: Riot;
  readonly tia: Tia;
  readonly cpu: Cpu;
  /** The "system" generator: power-on RAM and the timer value of each hardware reset. */
  readonly systemRng: Mt19937;

  constructor(rom: Uint8Array, systemSeed = DEFAULT_SYSTEM_SEED) {
    this.cart = new Cartridge(rom);
    const plain = this.cart.kind === '2K' || this.cart.kind === '4K';
    this.rom = this.cart.image;
    this.romMask = plain ? this.cart.image.length - 1 : 0;
    this.spinLoopAt = findTimerWaitLoops(this.rom, this.romMask);
    this.systemRng = new Mt19937(systemSeed);
    this.riot = new Riot(this);
    for (let i = 0; i < 128; i++) this.riot.ram[i] = this.systemRng.next() & 0xff;
    this.riot.reset(this.timerStart());
    this.tia = new Tia(this);
    this.cpu = new Cpu(this);
    if (plain) this.cpu.attachRom(this.rom, this.romMask);
  }

  private timerStart(): number {
    return 25 + (this.systemRng.next() % 75);
  }

  /** Power-on / hardware reset (RAM keeps its contents). */
  reset(): void {
    this.resetCycles();
    this.riot.reset(this.timerStart());
    this.tia.reset();
    this.cart.reset();
    this.lastAccessWasRead = true;
    this.cpu.reset();
    this.lastAccessWasRead = true;
  }

  resetCycles(): void {
    this.tia.systemCyclesReset(this.cycles);
    this.riot.systemCyclesReset(this.cycles);
    this.cycles = 0;
  }

  read(address: number): number {
    const a = address & 0x1fff;
    let v: number;
    if (a & 0x1000) v = this.romMask !== 0 ? this.rom[a & this.romMask] : this.cart.read(a);
    else if (a & 0x80) v = a & 0x200 ? this.riot.read(a) : this.riot.ram[a & 0x7f];
    else v = this.tia.read(a);
    this.dataBus = v;
    this.lastAccessWasRead = true;
    return v;
  }

  write(address: number, value: number): void {
    const a = address & 0x1fff;
    value &= 0xff;
    if (a & 0x1000) this.cart.write(a);
    else if (a & 0x80) {
      if (a & 0x200) this.riot.write(a, value);
      else this.riot.ram[a & 0x7f] = value;
    } else this.tia.write(a, value);
    this.dataBus = value;
    this.lastAccessWasRead = false;
  }

  /** Runs the CPU for one frame (one TIA update). Returns false if the frame did not end. */
  runFrame(): boolean {
    const tia = this.tia;
    const cpu = this.cpu;
    tia.beginUpdate();
    this.stopRequested = false;
    this.runInstructions(cpu);
    tia.endUpdate();
    return !tia.partialFrame;
  }

  /**
   * The instruction loop, in a method of its own: inlined into runFrame it made V8 deoptimize
   * runFrame again and again (the hot loop's optimized code kept meeting new object shapes).
   */
  private runInstructions(cpu: Cpu): void {
    const spin = this.spinLoopAt;
    const romMask = this.romMask;
    for (let n = MAX_INSTRUCTIONS_PER_FRAME; n > 0 && !this.stopRequested; n--) {
      if (cpu.jammed) break;
      const pc = cpu.pc;
      if ((pc & 0x1000) !== 0 && romMask !== 0 && spin[pc & romMask] !== 0) {
        const k = this.skipTimerWait(cpu, pc, n);
        if (k > 0) {
          // k iterations of two instructions each; the loop's own n-- takes the last one.
          n -= 2 * k - 1;
          continue;
        }
      }
      cpu.step();
    }
  }

  /**
   * At the start of a `LDA INTIM / BNE back` wait loop: runs as many whole iterations as read a
   * nonzero timer value (and fit in the `n` instructions left) in one go, leaving the machine as
   * stepping them would: clock advanced, A/N/Z from the last value read, the BNE offset as the last
   * byte on the data bus. Nothing else changes in such a loop (a timer read before expiry has no
   * side effects). Returns the iterations skipped (0: step normally).
   */
  private skipTimerWait(cpu: Cpu, pc: number, n: number): number {
    // The loop's five bytes must all lie in the cartridge window (the bus leaves it past $xFFF).
    if ((pc & 0xfff) > 0xffa) return 0;
    const rom = this.rom;
    const mask = this.romMask;
    const address = (rom[(pc + 1) & mask] | (rom[(pc + 2) & mask] << 8)) & 0x1fff;
    // LDA abs: 4 cycles, the read at its end; BNE taken: 3 cycles, 4 across a page.
    const next = (pc + 5) & 0xffff;
    const iteration = 4 + 2 + ((next ^ pc) & 0xff00 ? 2 : 1);
    const c0 = this.cycles;
    const untilZero = this.riot.cyclesUntilIntimZero(c0 + 4);
    if (untilZero <= 0) return 0;
    // The first iteration whose read gives 0, and the iterations the instruction budget allows.
    let k = Math.ceil(untilZero / iteration);
    if (k > n >> 1) k = n >> 1;
    if (k <= 0) return 0;
    // The last skipped iteration's read: the value A keeps.
    this.cycles = c0 + (k - 1) * iteration + 4;
    const v = this.riot.read(address);
    this.cycles = c0 + k * iteration;
    cpu.loadA(v);
    this.dataBus = rom[(pc + 4) & mask];
    this.lastAccessWasRead = true;
    return k;
  }

  /** The last completed frame: 210 x 160 TIA colour values. A view; do not modify. */
  get screen(): Uint8Array {
    return this.tia.screen;
  }

  saveState(out?: MachineState): MachineState {
    const s = out ?? { regs: new Int32Array(CONSOLE_STATE_SIZE), ram: new Uint8Array(128) };
    const r = s.regs;
    const cpu = this.cpu;
    r[CPU_STATE_AT] = cpu.a;
    r[CPU_STATE_AT + 1] = cpu.x;
    r[CPU_STATE_AT + 2] = cpu.y;
    r[CPU_STATE_AT + 3] = cpu.sp;
    r[CPU_STATE_AT + 4] = cpu.pc;
    r[CPU_STATE_AT + 5] = cpu.p;
    r[CPU_STATE_AT + 6] = cpu.jammed ? 1 : 0;
    r[CONSOLE_STATE_AT] = this.cycles;
    r[CONSOLE_STATE_AT + 1] = this.dataBus;
    r[CONSOLE_STATE_AT + 2] = this.lastAccessWasRead ? 1 : 0;
    r[CONSOLE_STATE_AT + 3] = this.cart.bank;
    this.riot.saveState(r, RIOT_STATE_AT);
    this.tia.saveState(r, TIA_STATE_AT);
    s.ram.set(this.riot.ram);
    return s;
  }

  loadState(s: MachineState): void {
    const r = s.regs;
    this.cpu.loadState({
      a: r[CPU_STATE_AT],
      x: r[CPU_STATE_AT + 1],
      y: r[CPU_STATE_AT + 2],
      sp: r[CPU_STATE_AT + 3],
      pc: r[CPU_STATE_AT + 4],
      p: r[CPU_STATE_AT + 5],
      jammed: r[CPU_STATE_AT + 6] !== 0,
    });
    this.cycles = r[CONSOLE_STATE_AT];
    this.dataBus = r[CONSOLE_STATE_AT + 1];
    this.lastAccessWasRead = r[CONSOLE_STATE_AT + 2] !== 0;
    this.cart.bank = r[CONSOLE_STATE_AT + 3];
    this.riot.loadState(r, RIOT_STATE_AT);
    this.tia.loadState(r, TIA_STATE_AT);
    this.riot.ram.set(s.ram);
  }
}

/**
 * Offsets of `LDA abs / BNE -5` loops whose address is the RIOT timer (INTIM, $284/$286 and
 * mirrors), in a ROM without bank switching (mask 0: none looked for).
 */
function findTimerWaitLoops(rom: Uint8Array, mask: number): Uint8Array {
  const at = new Uint8Array(mask + 1);
  if (mask === 0) return at;
  for (let i = 0; i <= mask; i++) {
    if (rom[i] !== 0xad || rom[(i + 3) & mask] !== 0xd0 || rom[(i + 4) & mask] !== 0xfb) continue;
    const a = (rom[(i + 1) & mask] | (rom[(i + 2) & mask] << 8)) & 0x1fff;
    if ((a & 0x1280) === 0x280 && ((a & 7) === 4 || (a & 7) === 6)) at[i] = 1;
  }
  return at;
}
