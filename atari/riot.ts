/**
 * The 6532 RIOT as Stella 2.4.2 emulates it: 128 bytes of RAM, the interval timer and the two
 * I/O ports (SWCHA: controllers, SWCHB: console switches).
 *
 * The timer is computed from cycle counts instead of being ticked: reading INTIM gives
 * `timer - (elapsed >> shift) - 1` while that is >= 0. After expiry, the first read past the
 * interrupt point is remembered and later reads keep falling from there (Stella's formula,
 * reproduced with its unsigned 32-bit arithmetic). Cycle counts are re-based to 0 at every
 * frame start (`systemCyclesReset`).
 */

/** What the RIOT needs from the machine around it. */
export interface RiotHost {
  /** CPU cycles since the current clock origin. */
  cycles: number;
  /** Port A pins as the controllers drive them (1 = released / floating). */
  readonly swcha: number;
  /** Port B: the console switches. */
  readonly swchb: number;
}

export const RIOT_STATE_SIZE = 8;

export class Riot {
  readonly ram = new Uint8Array(128);
  private timer = 0;
  private intervalShift = 6;
  private cyclesWhenTimerSet = 0;
  private cyclesWhenInterruptReset = 0;
  private timerReadAfterInterrupt = false;
  private ddra = 0;
  private ddrb = 0;

  constructor(private readonly host: RiotHost) {}

  /** Hardware reset: the timer restarts at `timerStart` with the /64 divider; DDRs cleared; RAM kept. */
  reset(timerStart: number): void {
    this.timer = timerStart >>> 0;
    this.intervalShift = 6;
    this.cyclesWhenTimerSet = 0;
    this.cyclesWhenInterruptReset = 0;
    this.timerReadAfterInterrupt = false;
    this.ddra = 0;
    this.ddrb = 0;
  }

  /** The system clock is about to be set back to 0 from `cycles`. */
  systemCyclesReset(cycles: number): void {
    // Kept as int32 (`| 0`), which V8 stores as small integers; every use reduces modulo 2^32
    // (`>>> 0` or `| 0`), so this gives Stella's unsigned 32-bit results all the same.
    this.cyclesWhenTimerSet = (this.cyclesWhenTimerSet - cycles) | 0;
    this.cyclesWhenInterruptReset = (this.cyclesWhenInterruptReset - cycles) | 0;
  }

  /** Read of the I/O and timer half ($280-$29F and mirrors). */
  read(address: number): number {
    switch (address & 0x07) {
      case 0x00:
        return this.host.swcha;
      case 0x01:
        return this.ddra;
      case 0x02:
        return this.host.swchb;
      case 0x03:
        return this.ddrb;
      case 0x04:
      case 0x06:
        return this.readTimer();
      default: {
        // 0x05 / 0x07: interrupt flag
        const delta = (this.host.cycles - 1 - this.cyclesWhenTimerSet) >>> 0;
        const timer = this.timer - ((delta >>> this.intervalShift) | 0) - 1;
        return timer >= 0 || this.timerReadAfterInterrupt ? 0x00 : 0x80;
      }
    }
  }

  /**
   * For INTIM read at CPU cycle `cycles` while the timer is still counting down (not expired, no
   * read past the interrupt yet): how many more cycles until a read gives 0 (0 if it already does).
   * -1 outside that simple case. Lets the console skip a wait loop polling INTIM without reading it.
   */
  cyclesUntilIntimZero(cycles: number): number {
    if (this.timerReadAfterInterrupt) return -1;
    const delta = (cycles - 1 - this.cyclesWhenTimerSet) >>> 0;
    const shifted = (delta >>> this.intervalShift) | 0;
    if (this.timer - shifted - 1 < 0) return -1;
    const d = ((this.timer - 1) << this.intervalShift) - delta;
    return d > 0 ? d : 0;
  }

  private readTimer(): number {
    const cycles = this.host.cycles;
    const delta = (cycles - 1 - this.cyclesWhenTimerSet) >>> 0;
    const shifted = (delta >>> this.intervalShift) | 0;
    let timer = this.timer - shifted - 1;
    if (timer >= 0) return timer & 0xff;
    timer = ((this.timer << this.intervalShift) | 0) - (delta | 0) - 1;
    if (timer <= -2 && !this.timerReadAfterInterrupt) {
      this.timerReadAfterInterrupt = true;
      this.cyclesWhenInterruptReset = cycles | 0;
    }
    if (this.timerReadAfterInterrupt) {
      const offset = (this.cyclesWhenInterruptReset - (this.cyclesWhenTimerSet + (this.timer << this.intervalShift))) | 0;
      timer = this.timer - shifted - offset;
    }
    return timer & 0xff;
  }

  write(address: number, value: number): void {
    const low = address & 0x07;
    if (low === 0x00) {
      // SWCHA output: paddles and joysticks ignore it.
    } else if (low === 0x01) {
      this.ddra = value;
    } else if (low === 0x02 || low === 0x03) {
      // SWCHB and its DDR: writes have no effect in Stella 2.4.2.
    } else if ((address & 0x14) === 0x14) {
      this.timer = value;
      this.intervalShift = [0, 3, 6, 10][address & 0x03];
      this.cyclesWhenTimerSet = this.host.cycles | 0;
      this.timerReadAfterInterrupt = false;
    }
    // (address & 0x14) === 0x04: edge-detect control, not emulated.
  }

  saveState(out: Int32Array, at: number): void {
    out[at] = this.timer;
    out[at + 1] = this.intervalShift;
    out[at + 2] = this.cyclesWhenTimerSet;
    out[at + 3] = this.cyclesWhenInterruptReset;
    out[at + 4] = this.timerReadAfterInterrupt ? 1 : 0;
    out[at + 5] = this.ddra;
    out[at + 6] = this.ddrb;
  }

  loadState(s: Int32Array, at: number): void {
    this.timer = s[at] >>> 0;
    this.intervalShift = s[at + 1];
    this.cyclesWhenTimerSet = s[at + 2];
    this.cyclesWhenInterruptReset = s[at + 3];
    this.timerReadAfterInterrupt = s[at + 4] !== 0;
    this.ddra = s[at + 5];
    this.ddrb = s[at + 6];
  }
}
