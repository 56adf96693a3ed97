import type { Bus } from './bus';

/**
 * The 6507 CPU (an NMOS 6502 with a 13-bit address bus), modelled on Stella's "low compatibility"
 * core, which ALE runs:
 * - The opcode is fetched, then the instruction's base cycle count is added to `bus.cycles` at once,
 *   so every operand access of the instruction is seen by devices at the clock of its end.
 * - A page-crossing indexed read adds one cycle just before the read; stores and read-modify-write
 *   instructions have fixed counts; a taken branch adds 1 cycle (2 across a page).
 * - No addressing-mode dummy accesses. The few instruction-level extra reads Stella's core does make
 *   (BRK's signature byte, the stack read before JSR's pushes and before PLA/PLP/RTI/RTS pulls, RTS's
 *   read of the byte it returns past) are kept, because they set the value the TIA sees as the last
 *   byte on the data bus.
 * - Decimal-mode ADC/SBC (and RRA/ISB) follow Stella's table-based BCD arithmetic: N and Z come from
 *   the BCD result, which is what NMOS parts give for valid BCD operands (see `adcDecimal`).
 * Addresses are passed to the bus as full 16-bit values; the bus masks them to 13 bits.
 */

export interface CpuState {
  a: number;
  x: number;
  y: number;
  sp: number;
  pc: number;
  p: number;
  /** Optional so that states written without it still load; absent means not jammed. */
  jammed?: boolean;
}

/** Base cycle counts per opcode (Stella's table; JAM opcodes count 2). */
// prettier-ignore
const CYCLES = new Uint8Array([
  //0 1  2  3  4  5  6  7  8  9  a  b  c  d  e  f
  7, 6, 2, 8, 3, 3, 5, 5, 3, 2, 2, 2, 4, 4, 6, 6, // 0
  2, 5, 2, 8, 4, 4, 6, 6, 2, 4, 2, 7, 4, 4, 7, 7, // 1
  6, 6, 2, 8, 3, 3, 5, 5, 4, 2, 2, 2, 4, 4, 6, 6, // 2
  2, 5, 2, 8, 4, 4, 6, 6, 2, 4, 2, 7, 4, 4, 7, 7, // 3
  6, 6, 2, 8, 3, 3, 5, 5, 3, 2, 2, 2, 3, 4, 6, 6, // 4
  2, 5, 2, 8, 4, 4, 6, 6, 2, 4, 2, 7, 4, 4, 7, 7, // 5
  6, 6, 2, 8, 3, 3, 5, 5, 4, 2, 2, 2, 5, 4, 6, 6, // 6
  2, 5, 2, 8, 4, 4, 6, 6, 2, 4, 2, 7, 4, 4, 7, 7, // 7
  2, 6, 2, 6, 3, 3, 3, 3, 2, 2, 2, 2, 4, 4, 4, 4, // 8
  2, 6, 2, 6, 4, 4, 4, 4, 2, 5, 2, 5, 5, 5, 5, 5, // 9
  2, 6, 2, 6, 3, 3, 3, 3, 2, 2, 2, 2, 4, 4, 4, 4, // a
  2, 5, 2, 5, 4, 4, 4, 4, 2, 4, 2, 4, 4, 4, 4, 4, // b
  2, 6, 2, 8, 3, 3, 5, 5, 2, 2, 2, 2, 4, 4, 6, 6, // c
  2, 5, 2, 8, 4, 4, 6, 6, 2, 4, 2, 7, 4, 4, 7, 7, // d
  2, 6, 2, 8, 3, 3, 5, 5, 2, 2, 2, 2, 4, 4, 6, 6, // e
  2, 5, 2, 8, 4, 4, 6, 6, 2, 4, 2, 7, 4, 4, 7, 7, // f
]);

/** Cycles a jammed CPU lets pass per step(), so that a frame loop around it still ends. */
const JAMMED_STEP_CYCLES = 2;

/** BCD byte → binary value, also for invalid digits (e.g. $1F → 25), as Stella's table does. */
const BCD_TO_BIN = new Uint8Array(256);
/** Binary 0..255 → BCD byte of its value modulo 100. */
const BIN_TO_BCD = new Uint8Array(256);
for (let t = 0; t < 256; t++) {
  BCD_TO_BIN[t] = (t >> 4) * 10 + (t & 0x0f);
  BIN_TO_BCD[t] = (((t % 100) / 10) << 4) | t % 10;
}

/** A bus that keeps the last data byte and access direction (the Console): what `fetch` updates. */
interface LatchingBus extends Bus {
  dataBus: number;
  lastAccessWasRead: boolean;
}

export class Cpu {
  a = 0;
  x = 0;
  y = 0;
  sp = 0xff;
  pc = 0;

  // Flags kept apart for speed. N is bit 7 of `nRes`; Z is set when `notZ` is 0 (BIT sets them
  // from different values, so they cannot share one field).
  private nRes = 0;
  private notZ = 1;
  private vFlag = 0;
  private cFlag = 0;
  private dFlag = 0;
  private iFlag = 0;
  private isJammed = false;

  // Program bytes of a cartridge without bank switching, read here rather than through the bus.
  private rom: Uint8Array = new Uint8Array(0);
  /** Address bits of `rom`; 0 when no ROM is attached (every fetch goes through the bus). */
  private romMask = 0;

  constructor(private readonly bus: Bus) {}

  /**
   * Lets instruction and operand fetches from $1000-$1FFF read `rom` directly (2K/4K cartridges,
   * where a read has no side effect), setting the bus's data latch as a bus read would.
   */
  attachRom(rom: Uint8Array, mask: number): void {
    this.rom = rom;
    this.romMask = mask;
  }

  /** Sets A (and N, Z from it) as a load would: for the console's skip of a wait loop. */
  loadA(v: number): void {
    this.setA(v);
  }

  /** A program byte: straight from the attached ROM when the address is in it, else a bus read. */
  private fetch(address: number): number {
    if ((address & 0x1000) !== 0 && this.romMask !== 0) {
      const v = this.rom[address & this.romMask];
      const bus = this.bus as LatchingBus;
      bus.dataBus = v;
      bus.lastAccessWasRead = true;
      return v;
    }
    return this.bus.read(address);
  }

  /** Hardware reset: A = X = Y = 0, SP = $FF, flags N V D I Z C clear, PC from the vector at $FFFC. */
  reset(): void {
    this.a = this.x = this.y = 0;
    this.sp = 0xff;
    this.p = 0x20;
    this.isJammed = false;
    const bus = this.bus;
    this.pc = bus.read(0xfffc) | (bus.read(0xfffd) << 8);
  }

  /** True after a JAM/KIL opcode; step() then only lets the clock advance. */
  get jammed(): boolean {
    return this.isJammed;
  }

  /** Status register as pushed by PHP: bit 5 and the B flag (bit 4) always read as set. */
  get p(): number {
    return (
      (this.nRes & 0x80) |
      (this.vFlag << 6) |
      0x30 |
      (this.dFlag << 3) |
      (this.iFlag << 2) |
      (this.notZ === 0 ? 2 : 0) |
      this.cFlag
    );
  }

  set p(v: number) {
    this.nRes = v & 0x80;
    this.vFlag = (v >> 6) & 1;
    this.dFlag = (v >> 3) & 1;
    this.iFlag = (v >> 2) & 1;
    this.notZ = v & 2 ? 0 : 1;
    this.cFlag = v & 1;
  }

  saveState(): CpuState {
    return { a: this.a, x: this.x, y: this.y, sp: this.sp, pc: this.pc, p: this.p, jammed: this.isJammed };
  }

  loadState(s: CpuState): void {
    this.a = s.a & 0xff;
    this.x = s.x & 0xff;
    this.y = s.y & 0xff;
    this.sp = s.sp & 0xff;
    this.pc = s.pc & 0xffff;
    this.p = s.p;
    this.isJammed = s.jammed ?? false;
  }

  /** Executes one instruction. */
  step(): void {
    const bus = this.bus;
    if (this.isJammed) {
      bus.cycles += JAMMED_STEP_CYCLES;
      return;
    }
    const op = this.fetch(this.pc);
    this.pc = (this.pc + 1) & 0xffff;
    bus.cycles += CYCLES[op];

    switch (op) {
      // ---- loads
      case 0xa9: this.setA(this.imm()); break;
      case 0xa5: this.setA(bus.read(this.zp())); break;
      case 0xb5: this.setA(bus.read(this.zpx())); break;
      case 0xad: this.setA(bus.read(this.abs())); break;
      case 0xbd: this.setA(bus.read(this.absxR())); break;
      case 0xb9: this.setA(bus.read(this.absyR())); break;
      case 0xa1: this.setA(bus.read(this.indx())); break;
      case 0xb1: this.setA(bus.read(this.indyR())); break;

      case 0xa2: this.setX(this.imm()); break;
      case 0xa6: this.setX(bus.read(this.zp())); break;
      case 0xb6: this.setX(bus.read(this.zpy())); break;
      case 0xae: this.setX(bus.read(this.abs())); break;
      case 0xbe: this.setX(bus.read(this.absyR())); break;

      case 0xa0: this.setY(this.imm()); break;
      case 0xa4: this.setY(bus.read(this.zp())); break;
      case 0xb4: this.setY(bus.read(this.zpx())); break;
      case 0xac: this.setY(bus.read(this.abs())); break;
      case 0xbc: this.setY(bus.read(this.absxR())); break;

      // ---- stores
      case 0x85: bus.write(this.zp(), this.a); break;
      case 0x95: bus.write(this.zpx(), this.a); break;
      case 0x8d: bus.write(this.abs(), this.a); break;
      case 0x9d: bus.write(this.absx(), this.a); break;
      case 0x99: bus.write(this.absy(), this.a); break;
      case 0x81: bus.write(this.indx(), this.a); break;
      case 0x91: bus.write(this.indy(), this.a); break;

      case 0x86: bus.write(this.zp(), this.x); break;
      case 0x96: bus.write(this.zpy(), this.x); break;
      case 0x8e: bus.write(this.abs(), this.x); break;

      case 0x84: bus.write(this.zp(), this.y); break;
      case 0x94: bus.write(this.zpx(), this.y); break;
      case 0x8c: bus.write(this.abs(), this.y); break;

      // ---- logic and arithmetic
      case 0x09: this.setA(this.a | this.imm()); break;
      case 0x05: this.setA(this.a | bus.read(this.zp())); break;
      case 0x15: this.setA(this.a | bus.read(this.zpx())); break;
      case 0x0d: this.setA(this.a | bus.read(this.abs())); break;
      case 0x1d: this.setA(this.a | bus.read(this.absxR())); break;
      case 0x19: this.setA(this.a | bus.read(this.absyR())); break;
      case 0x01: this.setA(this.a | bus.read(this.indx())); break;
      case 0x11: this.setA(this.a | bus.read(this.indyR())); break;

      case 0x29: this.setA(this.a & this.imm()); break;
      case 0x25: this.setA(this.a & bus.read(this.zp())); break;
      case 0x35: this.setA(this.a & bus.read(this.zpx())); break;
      case 0x2d: this.setA(this.a & bus.read(this.abs())); break;
      case 0x3d: this.setA(this.a & bus.read(this.absxR())); break;
      case 0x39: this.setA(this.a & bus.read(this.absyR())); break;
      case 0x21: this.setA(this.a & bus.read(this.indx())); break;
      case 0x31: this.setA(this.a & bus.read(this.indyR())); break;

      case 0x49: this.setA(this.a ^ this.imm()); break;
      case 0x45: this.setA(this.a ^ bus.read(this.zp())); break;
      case 0x55: this.setA(this.a ^ bus.read(this.zpx())); break;
      case 0x4d: this.setA(this.a ^ bus.read(this.abs())); break;
      case 0x5d: this.setA(this.a ^ bus.read(this.absxR())); break;
      case 0x59: this.setA(this.a ^ bus.read(this.absyR())); break;
      case 0x41: this.setA(this.a ^ bus.read(this.indx())); break;
      case 0x51: this.setA(this.a ^ bus.read(this.indyR())); break;

      case 0x69: this.adc(this.imm()); break;
      case 0x65: this.adc(bus.read(this.zp())); break;
      case 0x75: this.adc(bus.read(this.zpx())); break;
      case 0x6d: this.adc(bus.read(this.abs())); break;
      case 0x7d: this.adc(bus.read(this.absxR())); break;
      case 0x79: this.adc(bus.read(this.absyR())); break;
      case 0x61: this.adc(bus.read(this.indx())); break;
      case 0x71: this.adc(bus.read(this.indyR())); break;

      case 0xe9: case 0xeb: this.sbc(this.imm()); break;
      case 0xe5: this.sbc(bus.read(this.zp())); break;
      case 0xf5: this.sbc(bus.read(this.zpx())); break;
      case 0xed: this.sbc(bus.read(this.abs())); break;
      case 0xfd: this.sbc(bus.read(this.absxR())); break;
      case 0xf9: this.sbc(bus.read(this.absyR())); break;
      case 0xe1: this.sbc(bus.read(this.indx())); break;
      case 0xf1: this.sbc(bus.read(this.indyR())); break;

      case 0xc9: this.compare(this.a, this.imm()); break;
      case 0xc5: this.compare(this.a, bus.read(this.zp())); break;
      case 0xd5: this.compare(this.a, bus.read(this.zpx())); break;
      case 0xcd: this.compare(this.a, bus.read(this.abs())); break;
      case 0xdd: this.compare(this.a, bus.read(this.absxR())); break;
      case 0xd9: this.compare(this.a, bus.read(this.absyR())); break;
      case 0xc1: this.compare(this.a, bus.read(this.indx())); break;
      case 0xd1: this.compare(this.a, bus.read(this.indyR())); break;

      case 0xe0: this.compare(this.x, this.imm()); break;
      case 0xe4: this.compare(this.x, bus.read(this.zp())); break;
      case 0xec: this.compare(this.x, bus.read(this.abs())); break;
      case 0xc0: this.compare(this.y, this.imm()); break;
      case 0xc4: this.compare(this.y, bus.read(this.zp())); break;
      case 0xcc: this.compare(this.y, bus.read(this.abs())); break;

      case 0x24: this.bit(bus.read(this.zp())); break;
      case 0x2c: this.bit(bus.read(this.abs())); break;

      // ---- shifts and rotates
      case 0x0a: this.cFlag = this.a >> 7; this.setA((this.a << 1) & 0xff); break;
      case 0x06: this.asl(this.zp()); break;
      case 0x16: this.asl(this.zpx()); break;
      case 0x0e: this.asl(this.abs()); break;
      case 0x1e: this.asl(this.absx()); break;

      case 0x4a: this.cFlag = this.a & 1; this.setA(this.a >> 1); break;
      case 0x46: this.lsr(this.zp()); break;
      case 0x56: this.lsr(this.zpx()); break;
      case 0x4e: this.lsr(this.abs()); break;
      case 0x5e: this.lsr(this.absx()); break;

      case 0x2a: {
        const r = ((this.a << 1) | this.cFlag) & 0xff;
        this.cFlag = this.a >> 7;
        this.setA(r);
        break;
      }
      case 0x26: this.rol(this.zp()); break;
      case 0x36: this.rol(this.zpx()); break;
      case 0x2e: this.rol(this.abs()); break;
      case 0x3e: this.rol(this.absx()); break;

      case 0x6a: {
        const r = (this.a >> 1) | (this.cFlag << 7);
        this.cFlag = this.a & 1;
        this.setA(r);
        break;
      }
      case 0x66: this.ror(this.zp()); break;
      case 0x76: this.ror(this.zpx()); break;
      case 0x6e: this.ror(this.abs()); break;
      case 0x7e: this.ror(this.absx()); break;

      // ---- increments and decrements
      case 0xe6: this.incMem(this.zp()); break;
      case 0xf6: this.incMem(this.zpx()); break;
      case 0xee: this.incMem(this.abs()); break;
      case 0xfe: this.incMem(this.absx()); break;
      case 0xc6: this.decMem(this.zp()); break;
      case 0xd6: this.decMem(this.zpx()); break;
      case 0xce: this.decMem(this.abs()); break;
      case 0xde: this.decMem(this.absx()); break;
      case 0xe8: this.setX((this.x + 1) & 0xff); break;
      case 0xca: this.setX((this.x - 1) & 0xff); break;
      case 0xc8: this.setY((this.y + 1) & 0xff); break;
      case 0x88: this.setY((this.y - 1) & 0xff); break;

      // ---- transfers
      case 0xaa: this.setX(this.a); break;
      case 0x8a: this.setA(this.x); break;
      case 0xa8: this.setY(this.a); break;
      case 0x98: this.setA(this.y); break;
      case 0xba: this.setX(this.sp); break;
      case 0x9a: this.sp = this.x; break;

      // ---- flags
      case 0x18: this.cFlag = 0; break;
      case 0x38: this.cFlag = 1; break;
      case 0x58: this.iFlag = 0; break;
      case 0x78: this.iFlag = 1; break;
      case 0xb8: this.vFlag = 0; break;
      case 0xd8: this.dFlag = 0; break;
      case 0xf8: this.dFlag = 1; break;

      // ---- branches
      case 0x10: this.branch((this.nRes & 0x80) === 0); break;
      case 0x30: this.branch((this.nRes & 0x80) !== 0); break;
      case 0x50: this.branch(this.vFlag === 0); break;
      case 0x70: this.branch(this.vFlag !== 0); break;
      case 0x90: this.branch(this.cFlag === 0); break;
      case 0xb0: this.branch(this.cFlag !== 0); break;
      case 0xd0: this.branch(this.notZ !== 0); break;
      case 0xf0: this.branch(this.notZ === 0); break;

      // ---- jumps, calls, stack
      case 0x4c: this.pc = this.abs(); break;
      case 0x6c: {
        const ptr = this.abs();
        // NMOS bug: the high byte comes from the start of the same page when the pointer ends one.
        const hiAddr = (ptr & 0xff00) | ((ptr + 1) & 0x00ff);
        this.pc = bus.read(ptr) | (bus.read(hiAddr) << 8);
        break;
      }
      case 0x20: {
        const lo = this.imm();
        bus.read(0x100 | this.sp); // Stella's stack read before the pushes
        this.push(this.pc >> 8);
        this.push(this.pc & 0xff);
        this.pc = lo | (this.fetch(this.pc) << 8);
        break;
      }
      case 0x60: {
        bus.read(0x100 | this.sp);
        this.sp = (this.sp + 1) & 0xff;
        const lo = bus.read(0x100 | this.sp);
        this.sp = (this.sp + 1) & 0xff;
        const ret = lo | (bus.read(0x100 | this.sp) << 8);
        bus.read(ret); // Stella reads the byte it steps past
        this.pc = (ret + 1) & 0xffff;
        break;
      }
      case 0x00: {
        bus.read(this.pc); // signature byte: BRK pushes PC + 2
        this.pc = (this.pc + 1) & 0xffff;
        this.push(this.pc >> 8);
        this.push(this.pc & 0xff);
        this.push(this.p);
        this.iFlag = 1;
        this.pc = bus.read(0xfffe) | (bus.read(0xffff) << 8);
        break;
      }
      case 0x40: {
        bus.read(0x100 | this.sp);
        this.sp = (this.sp + 1) & 0xff;
        this.p = bus.read(0x100 | this.sp);
        this.sp = (this.sp + 1) & 0xff;
        const lo = bus.read(0x100 | this.sp);
        this.sp = (this.sp + 1) & 0xff;
        this.pc = lo | (bus.read(0x100 | this.sp) << 8);
        break;
      }
      case 0x48: this.push(this.a); break;
      case 0x08: this.push(this.p); break;
      case 0x68: this.setA(this.pull()); break;
      case 0x28: this.p = this.pull(); break;

      // ---- NOPs, documented and not (the multi-byte ones read their operand, as Stella does)
      case 0xea: case 0x1a: case 0x3a: case 0x5a: case 0x7a: case 0xda: case 0xfa: break;
      case 0x80: case 0x82: case 0x89: case 0xc2: case 0xe2: this.imm(); break;
      case 0x04: case 0x44: case 0x64: bus.read(this.zp()); break;
      case 0x14: case 0x34: case 0x54: case 0x74: case 0xd4: case 0xf4: bus.read(this.zpx()); break;
      case 0x0c: bus.read(this.abs()); break;
      case 0x1c: case 0x3c: case 0x5c: case 0x7c: case 0xdc: case 0xfc: bus.read(this.absxR()); break;

      // ---- undocumented: LAX, SAX
      case 0xa7: this.lax(bus.read(this.zp())); break;
      case 0xb7: this.lax(bus.read(this.zpy())); break;
      case 0xaf: this.lax(bus.read(this.abs())); break;
      case 0xbf: this.lax(bus.read(this.absyR())); break;
      case 0xa3: this.lax(bus.read(this.indx())); break;
      case 0xb3: this.lax(bus.read(this.indyR())); break;
      case 0x87: bus.write(this.zp(), this.a & this.x); break;
      case 0x97: bus.write(this.zpy(), this.a & this.x); break;
      case 0x8f: bus.write(this.abs(), this.a & this.x); break;
      case 0x83: bus.write(this.indx(), this.a & this.x); break;

      // ---- undocumented read-modify-write combinations
      case 0x07: this.slo(this.zp()); break;
      case 0x17: this.slo(this.zpx()); break;
      case 0x0f: this.slo(this.abs()); break;
      case 0x1f: this.slo(this.absx()); break;
      case 0x1b: this.slo(this.absy()); break;
      case 0x03: this.slo(this.indx()); break;
      case 0x13: this.slo(this.indy()); break;

      case 0x27: this.rla(this.zp()); break;
      case 0x37: this.rla(this.zpx()); break;
      case 0x2f: this.rla(this.abs()); break;
      case 0x3f: this.rla(this.absx()); break;
      case 0x3b: this.rla(this.absy()); break;
      case 0x23: this.rla(this.indx()); break;
      case 0x33: this.rla(this.indy()); break;

      case 0x47: this.sre(this.zp()); break;
      case 0x57: this.sre(this.zpx()); break;
      case 0x4f: this.sre(this.abs()); break;
      case 0x5f: this.sre(this.absx()); break;
      case 0x5b: this.sre(this.absy()); break;
      case 0x43: this.sre(this.indx()); break;
      case 0x53: this.sre(this.indy()); break;

      case 0x67: this.rra(this.zp()); break;
      case 0x77: this.rra(this.zpx()); break;
      case 0x6f: this.rra(this.abs()); break;
      case 0x7f: this.rra(this.absx()); break;
      case 0x7b: this.rra(this.absy()); break;
      case 0x63: this.rra(this.indx()); break;
      case 0x73: this.rra(this.indy()); break;

      case 0xc7: this.dcp(this.zp()); break;
      case 0xd7: this.dcp(this.zpx()); break;
      case 0xcf: this.dcp(this.abs()); break;
      case 0xdf: this.dcp(this.absx()); break;
      case 0xdb: this.dcp(this.absy()); break;
      case 0xc3: this.dcp(this.indx()); break;
      case 0xd3: this.dcp(this.indy()); break;

      case 0xe7: this.isb(this.zp()); break;
      case 0xf7: this.isb(this.zpx()); break;
      case 0xef: this.isb(this.abs()); break;
      case 0xff: this.isb(this.absx()); break;
      case 0xfb: this.isb(this.absy()); break;
      case 0xe3: this.isb(this.indx()); break;
      case 0xf3: this.isb(this.indy()); break;

      // ---- undocumented immediate operations
      case 0x0b: case 0x2b: // ANC
        this.setA(this.a & this.imm());
        this.cFlag = this.a >> 7;
        break;
      case 0x4b: { // ALR / ASR
        const t = this.a & this.imm();
        this.cFlag = t & 1;
        this.setA(t >> 1);
        break;
      }
      case 0x6b: this.arr(this.imm()); break;
      case 0xcb: { // SBX / AXS: X = (A & X) - operand, carry as in CMP
        const d = (this.a & this.x) - this.imm();
        this.cFlag = d >= 0 ? 1 : 0;
        this.setX(d & 0xff);
        break;
      }
      case 0x8b: this.setA((this.a | 0xee) & this.x & this.imm()); break; // ANE / XAA (unstable on hardware)
      case 0xab: { // LXA (unstable on hardware)
        const t = (this.a | 0xee) & this.imm();
        this.a = this.x = t;
        this.nRes = this.notZ = t;
        break;
      }
      case 0xbb: { // LAS
        const t = this.sp & bus.read(this.absyR());
        this.a = this.x = this.sp = t;
        this.nRes = this.notZ = t;
        break;
      }
      // SHA / SHS / SHX / SHY: store a register AND (high byte of the address + 1).
      case 0x9f: { const ad = this.absy(); bus.write(ad, this.a & this.x & ((ad >> 8) + 1)); break; }
      case 0x93: { const ad = this.indy(); bus.write(ad, this.a & this.x & ((ad >> 8) + 1)); break; }
      case 0x9b: {
        const ad = this.absy();
        this.sp = this.a & this.x;
        bus.write(ad, this.a & this.x & ((ad >> 8) + 1));
        break;
      }
      case 0x9e: { const ad = this.absy(); bus.write(ad, this.x & ((ad >> 8) + 1)); break; }
      case 0x9c: { const ad = this.absx(); bus.write(ad, this.y & ((ad >> 8) + 1)); break; }

      // ---- JAM / KIL: the CPU stops; Stella flags a fatal error here.
      default:
        this.isJammed = true;
        break;
    }
  }

  // ---------------------------------------------------------------- addressing (return addresses)

  private imm(): number {
    const v = this.fetch(this.pc);
    this.pc = (this.pc + 1) & 0xffff;
    return v;
  }

  private zp(): number {
    const v = this.fetch(this.pc);
    this.pc = (this.pc + 1) & 0xffff;
    return v;
  }

  private zpx(): number {
    return (this.zp() + this.x) & 0xff;
  }

  private zpy(): number {
    return (this.zp() + this.y) & 0xff;
  }

  private abs(): number {
    const pc = this.pc;
    const ad = this.fetch(pc) | (this.fetch((pc + 1) & 0xffff) << 8);
    this.pc = (pc + 2) & 0xffff;
    return ad;
  }

  /** abs,X for a read: one more cycle, before the read, when indexing crosses a page. */
  private absxR(): number {
    const base = this.abs();
    const ad = (base + this.x) & 0xffff;
    if ((base ^ ad) & 0xff00) this.bus.cycles += 1;
    return ad;
  }

  private absx(): number {
    return (this.abs() + this.x) & 0xffff;
  }

  private absyR(): number {
    const base = this.abs();
    const ad = (base + this.y) & 0xffff;
    if ((base ^ ad) & 0xff00) this.bus.cycles += 1;
    return ad;
  }

  private absy(): number {
    return (this.abs() + this.y) & 0xffff;
  }

  /** (zp,X): the pointer and its high byte stay in page zero. */
  private indx(): number {
    const bus = this.bus;
    const ptr = (this.zp() + this.x) & 0xff;
    return bus.read(ptr) | (bus.read((ptr + 1) & 0xff) << 8);
  }

  /** (zp),Y for a read, with the page-crossing cycle. */
  private indyR(): number {
    const bus = this.bus;
    const ptr = this.zp();
    const base = bus.read(ptr) | (bus.read((ptr + 1) & 0xff) << 8);
    const ad = (base + this.y) & 0xffff;
    if ((base ^ ad) & 0xff00) bus.cycles += 1;
    return ad;
  }

  private indy(): number {
    const bus = this.bus;
    const ptr = this.zp();
    return ((bus.read(ptr) | (bus.read((ptr + 1) & 0xff) << 8)) + this.y) & 0xffff;
  }

  // ---------------------------------------------------------------- operations

  private setA(v: number): void {
    this.a = v;
    this.nRes = v;
    this.notZ = v;
  }

  private setX(v: number): void {
    this.x = v;
    this.nRes = v;
    this.notZ = v;
  }

  private setY(v: number): void {
    this.y = v;
    this.nRes = v;
    this.notZ = v;
  }

  private lax(v: number): void {
    this.a = v;
    this.x = v;
    this.nRes = v;
    this.notZ = v;
  }

  private push(v: number): void {
    this.bus.write(0x100 | this.sp, v);
    this.sp = (this.sp - 1) & 0xff;
  }

  /** PLA/PLP: Stella reads the stack slot once before moving SP up and reading the value. */
  private pull(): number {
    const bus = this.bus;
    bus.read(0x100 | this.sp);
    this.sp = (this.sp + 1) & 0xff;
    return bus.read(0x100 | this.sp);
  }

  private branch(taken: boolean): void {
    const off = this.fetch(this.pc);
    const pc = (this.pc + 1) & 0xffff;
    if (taken) {
      const target = (pc + ((off ^ 0x80) - 0x80)) & 0xffff;
      this.bus.cycles += (pc ^ target) & 0xff00 ? 2 : 1;
      this.pc = target;
    } else {
      this.pc = pc;
    }
  }

  private compare(r: number, v: number): void {
    const d = r - v;
    this.cFlag = d >= 0 ? 1 : 0;
    this.nRes = this.notZ = d & 0xff;
  }

  private bit(v: number): void {
    this.nRes = v;
    this.vFlag = (v >> 6) & 1;
    this.notZ = this.a & v;
  }

  private adc(v: number): void {
    if (this.dFlag) {
      this.adcDecimal(v);
      return;
    }
    const a = this.a;
    const sum = a + v + this.cFlag;
    const r = sum & 0xff;
    this.vFlag = ((a ^ r) & (v ^ r) & 0x80) >> 7;
    this.cFlag = sum >> 8;
    this.setA(r);
  }

  /**
   * Decimal ADC as Stella computes it: both bytes are read as BCD (invalid digits count 10..15),
   * summed in binary, carry = sum > 99, and the result is the sum written back as BCD. For valid BCD
   * input this gives the NMOS result and carry; N and Z are taken from that result.
   */
  private adcDecimal(v: number): void {
    const oldA = this.a;
    const sum = BCD_TO_BIN[oldA] + BCD_TO_BIN[v] + this.cFlag;
    this.cFlag = sum > 99 ? 1 : 0;
    const r = BIN_TO_BCD[sum & 0xff];
    this.setA(r);
    this.vFlag = (oldA ^ r) & 0x80 && (r ^ v) & 0x80 ? 1 : 0;
  }

  private sbc(v: number): void {
    if (this.dFlag) {
      this.sbcDecimal(v);
      return;
    }
    this.adc(v ^ 0xff);
  }

  /** Decimal SBC as Stella computes it (see adcDecimal); carry is the binary comparison A >= v + borrow. */
  private sbcDecimal(v: number): void {
    const oldA = this.a;
    const borrow = 1 - this.cFlag;
    let diff = BCD_TO_BIN[oldA] - BCD_TO_BIN[v] - borrow;
    if (diff < 0) diff += 100;
    // Only invalid BCD input can leave diff negative here; Stella then indexes its BCD->binary table
    // from the end (its two tables are adjacent in memory), which `diff + 256` into BCD_TO_BIN reproduces.
    const r = diff >= 0 ? BIN_TO_BCD[diff] : BCD_TO_BIN[diff + 256];
    this.setA(r);
    this.cFlag = oldA >= v + borrow ? 1 : 0;
    this.vFlag = (oldA ^ r) & 0x80 && (r ^ v) & 0x80 ? 1 : 0;
  }

  private asl(ad: number): void {
    const v = this.bus.read(ad);
    this.cFlag = v >> 7;
    const r = (v << 1) & 0xff;
    this.bus.write(ad, r);
    this.nRes = this.notZ = r;
  }

  private lsr(ad: number): void {
    const v = this.bus.read(ad);
    this.cFlag = v & 1;
    const r = v >> 1;
    this.bus.write(ad, r);
    this.nRes = this.notZ = r;
  }

  private rol(ad: number): void {
    const v = this.bus.read(ad);
    const r = ((v << 1) | this.cFlag) & 0xff;
    this.cFlag = v >> 7;
    this.bus.write(ad, r);
    this.nRes = this.notZ = r;
  }

  private ror(ad: number): void {
    const v = this.bus.read(ad);
    const r = (v >> 1) | (this.cFlag << 7);
    this.cFlag = v & 1;
    this.bus.write(ad, r);
    this.nRes = this.notZ = r;
  }

  private incMem(ad: number): void {
    const r = (this.bus.read(ad) + 1) & 0xff;
    this.bus.write(ad, r);
    this.nRes = this.notZ = r;
  }

  private decMem(ad: number): void {
    const r = (this.bus.read(ad) - 1) & 0xff;
    this.bus.write(ad, r);
    this.nRes = this.notZ = r;
  }

  private slo(ad: number): void {
    const v = this.bus.read(ad);
    this.cFlag = v >> 7;
    const r = (v << 1) & 0xff;
    this.bus.write(ad, r);
    this.setA(this.a | r);
  }

  private rla(ad: number): void {
    const v = this.bus.read(ad);
    const r = ((v << 1) | this.cFlag) & 0xff;
    this.cFlag = v >> 7;
    this.bus.write(ad, r);
    this.setA(this.a & r);
  }

  private sre(ad: number): void {
    const v = this.bus.read(ad);
    this.cFlag = v & 1;
    const r = v >> 1;
    this.bus.write(ad, r);
    this.setA(this.a ^ r);
  }

  private rra(ad: number): void {
    const v = this.bus.read(ad);
    const r = (v >> 1) | (this.cFlag << 7);
    this.cFlag = v & 1;
    this.bus.write(ad, r);
    this.adc(r);
  }

  private dcp(ad: number): void {
    const r = (this.bus.read(ad) - 1) & 0xff;
    this.bus.write(ad, r);
    this.compare(this.a, r);
  }

  private isb(ad: number): void {
    const r = (this.bus.read(ad) + 1) & 0xff;
    this.bus.write(ad, r);
    this.sbc(r);
  }

  /** ARR: AND then ROR, with the odd flag rules (and a BCD fix-up in decimal mode) of the NMOS part. */
  private arr(v: number): void {
    const t = this.a & v;
    const r = (t >> 1) | (this.cFlag << 7);
    if (!this.dFlag) {
      this.setA(r);
      this.cFlag = (r >> 6) & 1;
      this.vFlag = ((r >> 6) ^ (r >> 5)) & 1;
      return;
    }
    this.nRes = this.cFlag << 7;
    this.notZ = r;
    this.vFlag = ((t ^ r) >> 6) & 1;
    let a = r;
    if ((t & 0x0f) + (t & 0x01) > 0x05) a = (a & 0xf0) | ((a + 0x06) & 0x0f);
    if ((t & 0xf0) + (t & 0x10) > 0x50) {
      a = (a + 0x60) & 0xff;
      this.cFlag = 1;
    } else {
      this.cFlag = 0;
    }
    this.a = a;
  }
}
