import { describe, expect, it } from 'vitest';
import type { Bus } from '../../atari/bus';
import { Cpu } from '../../atari/cpu';
import { assemble, AsmError, OPCODES, type Mode } from './asm';

interface Access {
  kind: 'r' | 'w';
  addr: number;
  value: number;
  cycles: number;
}

/** 64K of flat RAM; optionally logs every access with the clock at which it happened. */
class FlatBus implements Bus {
  cycles = 0;
  readonly mem = new Uint8Array(0x10000);
  log: Access[] | null = null;

  read(addr: number): number {
    const value = this.mem[addr];
    this.log?.push({ kind: 'r', addr, value, cycles: this.cycles });
    return value;
  }

  write(addr: number, value: number): void {
    this.log?.push({ kind: 'w', addr, value, cycles: this.cycles });
    this.mem[addr] = value;
  }
}

const FLAG = { C: 0x01, Z: 0x02, I: 0x04, D: 0x08, B: 0x10, U: 0x20, V: 0x40, N: 0x80 };
const JAM_OPCODES = [0x02, 0x12, 0x22, 0x32, 0x42, 0x52, 0x62, 0x72, 0x92, 0xb2, 0xd2, 0xf2];

interface Init {
  a?: number;
  x?: number;
  y?: number;
  sp?: number;
  p?: number;
  mem?: Record<number, number>;
}

/** Assembles `src` at $0200 (unless it says .org), points the reset vector at it and resets the CPU. */
function setup(src: string, init: Init = {}): { cpu: Cpu; bus: FlatBus; labels: Map<string, number> } {
  const bus = new FlatBus();
  const asm = assemble(src, 0x0200);
  const entry = asm.labels.get('start') ?? asm.origin;
  bus.mem.set(asm.bytes, asm.origin);
  if (bus.mem[0xfffc] === 0 && bus.mem[0xfffd] === 0) {
    bus.mem[0xfffc] = entry & 0xff;
    bus.mem[0xfffd] = entry >> 8;
  }
  for (const [addr, v] of Object.entries(init.mem ?? {})) bus.mem[Number(addr)] = v;
  const cpu = new Cpu(bus);
  cpu.reset();
  if (init.a !== undefined) cpu.a = init.a;
  if (init.x !== undefined) cpu.x = init.x;
  if (init.y !== undefined) cpu.y = init.y;
  if (init.sp !== undefined) cpu.sp = init.sp;
  if (init.p !== undefined) cpu.p = init.p;
  return { cpu, bus, labels: asm.labels };
}

/** Runs until the program executes a JAM (used as "halt" by these tests). */
function run(src: string, init: Init = {}): { cpu: Cpu; bus: FlatBus; labels: Map<string, number> } {
  const env = setup(src, init);
  for (let i = 0; i < 100_000 && !env.cpu.jammed; i++) env.cpu.step();
  if (!env.cpu.jammed) throw new Error('program did not reach JAM');
  return env;
}

/** Cycles taken by the first instruction of `src`. */
function cyclesOf(src: string, init: Init = {}): number {
  const { cpu, bus } = setup(src, init);
  bus.cycles = 0;
  cpu.step();
  return bus.cycles;
}

describe('assembler (test helper)', () => {
  it('picks zero-page vs absolute forms and resolves labels and branches', () => {
    const asm = assemble(
      `
      ZP = $80
      start: LDA ZP        ; zero page
             LDA $0080     ; forced absolute
             STA fwd       ; forward reference: absolute
      loop:  BNE loop
             .byte 1, $02, <start, >start
      fwd:   .word start`,
      0x1000,
    );
    expect([...asm.bytes]).toEqual([
      0xa5, 0x80, 0xad, 0x80, 0x00, 0x8d, 0x0e, 0x10, 0xd0, 0xfe, 1, 2, 0x00, 0x10, 0x00, 0x10,
    ]);
    expect(asm.labels.get('fwd')).toBe(0x100e);
  });

  it('rejects unknown mnemonics, bad modes and far branches', () => {
    expect(() => assemble('FOO #1')).toThrow(AsmError);
    expect(() => assemble('STA #1')).toThrow(/no imm/);
    expect(() => assemble('x: .org $300\n BNE x')).toThrow(/out of range/);
  });
});

describe('reset', () => {
  it('sets A = X = Y = 0, SP = $FF, P = $30 (only bits 5 and B), PC from $FFFC and leaves RAM alone', () => {
    const bus = new FlatBus();
    bus.mem[0xfffc] = 0x34;
    bus.mem[0xfffd] = 0xf2;
    bus.mem[0x80] = 0x5a;
    const cpu = new Cpu(bus);
    cpu.a = 1;
    cpu.x = 2;
    cpu.y = 3;
    cpu.sp = 4;
    cpu.p = 0xff;
    cpu.reset();
    expect(cpu.saveState()).toEqual({ a: 0, x: 0, y: 0, sp: 0xff, pc: 0xf234, p: 0x30, jammed: false });
    expect(bus.mem[0x80]).toBe(0x5a);
    expect(bus.cycles).toBe(0);
  });

  it('p reads bits 4 and 5 as set whatever is written', () => {
    const { cpu } = setup('NOP');
    cpu.p = 0x00;
    expect(cpu.p).toBe(0x30);
    cpu.p = 0xcf;
    expect(cpu.p).toBe(0xff);
  });
});

describe('loads, stores and addressing modes', () => {
  it('reads through every addressing mode of LDA', () => {
    const { bus } = run(
      `
      LDA #$11
      STA $00
      LDA $40        ; zp
      STA $01
      LDX #$05
      LDA $40,X      ; zp,X
      STA $02
      LDA $1234      ; abs
      STA $03
      LDA $1230,X    ; abs,X
      STA $04
      LDY #$02
      LDA $1230,Y    ; abs,Y
      STA $05
      LDA ($3B,X)    ; (zp,X): pointer at $40
      STA $06
      LDA ($50),Y    ; (zp),Y: $1230 + 2
      STA $07
      JAM`,
      {
        mem: {
          0x40: 0x34, 0x41: 0x12, 0x45: 0x22, 0x1234: 0x33, 0x1235: 0x44, 0x1232: 0x55,
          0x50: 0x30, 0x51: 0x12,
        },
      },
    );
    expect([...bus.mem.subarray(0, 8)]).toEqual([0x11, 0x34, 0x22, 0x33, 0x44, 0x55, 0x33, 0x55]);
  });

  it('writes through every addressing mode of STA, STX and STY', () => {
    const { bus } = run(
      `
      LDA #$a1
      LDX #$03
      LDY #$04
      STA $10
      STA $10,X      ; $13
      STA $2000
      STA $2000,X    ; $2003
      STA $2000,Y    ; $2004
      STA ($20,X)    ; pointer at $23 -> $3000
      STA ($30),Y    ; $3100 + 4
      STX $40
      STX $40,Y      ; $44
      STX $2100
      STY $50
      STY $50,X      ; $53
      STY $2200
      JAM`,
      { mem: { 0x23: 0x00, 0x24: 0x30, 0x30: 0x00, 0x31: 0x31 } },
    );
    const m = bus.mem;
    expect([m[0x10], m[0x13], m[0x2000], m[0x2003], m[0x2004], m[0x3000], m[0x3104]]).toEqual(
      Array(7).fill(0xa1),
    );
    expect([m[0x40], m[0x44], m[0x2100]]).toEqual([3, 3, 3]);
    expect([m[0x50], m[0x53], m[0x2200]]).toEqual([4, 4, 4]);
  });

  it('LDX/LDY cover their own modes (zp,Y and abs,Y for X; zp,X and abs,X for Y)', () => {
    const { cpu, bus } = run(
      `
      LDY #$01
      LDX $70,Y
      STX $00
      LDX $1000,Y
      STX $01
      LDX #$02
      LDY $70,X
      STY $02
      LDY $1000,X
      STY $03
      LDX $72
      LDY $1003
      JAM`,
      { mem: { 0x71: 0x61, 0x72: 0x62, 0x1001: 0x63, 0x1002: 0x64, 0x1003: 0x65 } },
    );
    expect([...bus.mem.subarray(0, 4)]).toEqual([0x61, 0x63, 0x62, 0x64]);
    expect([cpu.x, cpu.y]).toEqual([0x62, 0x65]);
  });

  it('keeps zero-page indexing and pointers inside page zero', () => {
    const { bus } = run(
      `
      LDX #$20
      LDA $F0,X      ; wraps to $10
      STA $00
      LDA ($DF,X)    ; pointer at $FF, high byte from $00
      STA $01
      LDY #$01
      LDA ($FF),Y    ; pointer low at $FF, high at $00
      STA $02
      JAM`,
      { mem: { 0x10: 0x99, 0xff: 0x34, 0x0100: 0xee, 0x9934: 0x42, 0x9935: 0x43 } },
    );
    // $00 was written with $99 by the first store, so both pointers read $9934.
    expect([...bus.mem.subarray(0, 3)]).toEqual([0x99, 0x42, 0x43]);
  });

  it('sets N and Z from loaded values and leaves C and V alone', () => {
    const flags = (v: number): number => run(`SEC\nLDA #${v}\nJAM`, { p: FLAG.V }).cpu.p;
    expect(flags(0)).toBe(FLAG.Z | FLAG.C | FLAG.V | 0x30);
    expect(flags(0x80)).toBe(FLAG.N | FLAG.C | FLAG.V | 0x30);
    expect(flags(0x7f)).toBe(FLAG.C | FLAG.V | 0x30);
  });
});

describe('arithmetic and logic (binary)', () => {
  const adc = (a: number, v: number, c: number): { a: number; p: number } => {
    const { cpu } = run(`${c ? 'SEC' : 'CLC'}\nLDA #${a}\nADC #${v}\nJAM`);
    return { a: cpu.a, p: cpu.p & 0xc3 };
  };
  const sbc = (a: number, v: number, c: number): { a: number; p: number } => {
    const { cpu } = run(`${c ? 'SEC' : 'CLC'}\nLDA #${a}\nSBC #${v}\nJAM`);
    return { a: cpu.a, p: cpu.p & 0xc3 };
  };

  it('ADC sets C, V, N, Z', () => {
    expect(adc(0x50, 0x10, 0)).toEqual({ a: 0x60, p: 0 });
    expect(adc(0x50, 0x50, 0)).toEqual({ a: 0xa0, p: FLAG.N | FLAG.V });
    expect(adc(0xff, 0x01, 0)).toEqual({ a: 0x00, p: FLAG.Z | FLAG.C });
    expect(adc(0xd0, 0x90, 0)).toEqual({ a: 0x60, p: FLAG.V | FLAG.C });
    expect(adc(0x7f, 0x00, 1)).toEqual({ a: 0x80, p: FLAG.N | FLAG.V });
    expect(adc(0xff, 0xff, 1)).toEqual({ a: 0xff, p: FLAG.N | FLAG.C });
  });

  it('SBC borrows through the carry', () => {
    expect(sbc(0x50, 0xf0, 1)).toEqual({ a: 0x60, p: 0 });
    expect(sbc(0x50, 0xb0, 1)).toEqual({ a: 0xa0, p: FLAG.N | FLAG.V });
    expect(sbc(0x50, 0x30, 1)).toEqual({ a: 0x20, p: FLAG.C });
    expect(sbc(0x50, 0x50, 1)).toEqual({ a: 0x00, p: FLAG.Z | FLAG.C });
    expect(sbc(0x50, 0x50, 0)).toEqual({ a: 0xff, p: FLAG.N });
    expect(sbc(0xd0, 0x70, 1)).toEqual({ a: 0x60, p: FLAG.V | FLAG.C });
  });

  it('undocumented SBC $EB behaves like SBC #imm', () => {
    const { cpu } = run('SEC\nLDA #$50\nSBC2 #$30\nJAM');
    expect(cpu.a).toBe(0x20);
    expect(cpu.p & FLAG.C).toBe(FLAG.C);
  });

  it('AND, ORA, EOR through memory modes', () => {
    const { bus } = run(
      `
      LDA #$f0
      AND $10
      STA $00
      LDA #$0f
      ORA $1000
      STA $01
      LDX #$01
      LDA #$ff
      EOR $10,X
      STA $02
      LDY #$02
      LDA #$ff
      AND ($20),Y
      STA $03
      JAM`,
      { mem: { 0x10: 0x3c, 0x11: 0x55, 0x1000: 0x80, 0x20: 0x00, 0x21: 0x30, 0x3002: 0x81 } },
    );
    expect([...bus.mem.subarray(0, 4)]).toEqual([0x30, 0x8f, 0xaa, 0x81]);
  });

  it('CMP, CPX, CPY set C = (reg >= value), Z on equality, N from bit 7 of the difference', () => {
    const cmp = (ins: string, r: number, v: number): number =>
      run(`LDA #${r}\nLDX #${r}\nLDY #${r}\n${ins} #${v}\nJAM`).cpu.p & 0x83;
    for (const ins of ['CMP', 'CPX', 'CPY']) {
      expect(cmp(ins, 0x40, 0x40)).toBe(FLAG.Z | FLAG.C);
      expect(cmp(ins, 0x40, 0x30)).toBe(FLAG.C);
      expect(cmp(ins, 0x40, 0x50)).toBe(FLAG.N);
      expect(cmp(ins, 0x00, 0xff)).toBe(0);
      expect(cmp(ins, 0xff, 0x00)).toBe(FLAG.N | FLAG.C);
    }
  });

  it('BIT takes N and V from memory and Z from A AND memory', () => {
    const bit = (a: number, m: number): number =>
      run(`LDA #${a}\nBIT $10\nJAM`, { mem: { 0x10: m } }).cpu.p & 0xc2;
    expect(bit(0x01, 0xc0)).toBe(FLAG.N | FLAG.V | FLAG.Z);
    expect(bit(0x40, 0x40)).toBe(FLAG.V);
    expect(bit(0x01, 0x01)).toBe(0);
    const abs = run(`LDA #$00\nBIT $1234\nJAM`, { mem: { 0x1234: 0x80 } }).cpu.p & 0xc2;
    expect(abs).toBe(FLAG.N | FLAG.Z);
  });

  it('shifts and rotates on A and memory, through the carry', () => {
    const { cpu, bus } = run(
      `
      LDA #$81
      ASL A          ; $02, C=1
      STA $00
      ROL A          ; $05, C=0
      STA $01
      LSR A          ; $02, C=1
      STA $02
      ROR A          ; $81, C=0
      STA $03
      SEC
      ROL $10        ; $40 -> $81, C=0
      SEC
      ROR $11        ; $02 -> $81, C=0
      ASL $1000      ; $c0 -> $80, C=1
      LDX #$01
      LSR $1000,X    ; $03 -> $01, C=1
      JAM`,
      { mem: { 0x10: 0x40, 0x11: 0x02, 0x1000: 0xc0, 0x1001: 0x03 } },
    );
    expect([...bus.mem.subarray(0, 4)]).toEqual([0x02, 0x05, 0x02, 0x81]);
    expect([bus.mem[0x10], bus.mem[0x11], bus.mem[0x1000], bus.mem[0x1001]]).toEqual([0x81, 0x81, 0x80, 0x01]);
    expect(cpu.p & FLAG.C).toBe(FLAG.C);
  });

  it('INC/DEC on memory and registers wrap and set N/Z', () => {
    const { cpu, bus } = run(
      `
      INC $10
      DEC $11
      LDX #$ff
      INX
      STX $12
      LDY #$00
      DEY
      STY $13
      LDX #$02
      INC $1000,X
      DEC $10,X
      JAM`,
      { mem: { 0x10: 0xff, 0x11: 0x00, 0x1002: 0x7f, 0x12: 5 } },
    );
    // $12 first becomes 0 via STX, then DEC $10,X makes it $ff.
    expect([bus.mem[0x10], bus.mem[0x11], bus.mem[0x12], bus.mem[0x13], bus.mem[0x1002]]).toEqual([
      0x00, 0xff, 0xff, 0xff, 0x80,
    ]);
    expect(cpu.p & 0x82).toBe(FLAG.N);
  });

  it('transfers set N/Z except TXS', () => {
    const { cpu } = run(`LDA #$80\nTAX\nTAY\nLDX #$00\nTXS\nJAM`);
    expect(cpu.sp).toBe(0);
    expect(cpu.p & 0x82).toBe(FLAG.Z); // from LDX; TXS left it
    const t = run(`LDX #$00\nTSX\nJAM`).cpu; // SP = $FF after reset
    expect(t.x).toBe(0xff);
    expect(t.p & 0x82).toBe(FLAG.N);
    const u = run(`LDY #$00\nLDA #$ff\nTYA\nJAM`).cpu;
    expect(u.a).toBe(0);
    expect(u.p & 0x82).toBe(FLAG.Z);
  });

  it('flag instructions set and clear C, I, D, V', () => {
    expect(run('SEC\nSEI\nSED\nJAM').cpu.p).toBe(0x30 | FLAG.C | FLAG.I | FLAG.D);
    expect(run('CLC\nCLI\nCLD\nCLV\nJAM', { p: 0xff }).cpu.p).toBe(0x30 | FLAG.N | FLAG.Z);
  });
});

describe('decimal mode (Breakout keeps its score in BCD)', () => {
  const dec = (ins: 'ADC' | 'SBC', a: number, v: number, c: number): { a: number; c: number; z: number } => {
    const { cpu } = run(`SED\n${c ? 'SEC' : 'CLC'}\nLDA #${a}\n${ins} #${v}\nJAM`);
    return { a: cpu.a, c: cpu.p & FLAG.C, z: (cpu.p & FLAG.Z) >> 1 };
  };

  it('ADC adds BCD digits with decimal carry', () => {
    expect(dec('ADC', 0x19, 0x01, 0)).toEqual({ a: 0x20, c: 0, z: 0 });
    expect(dec('ADC', 0x09, 0x01, 0)).toEqual({ a: 0x10, c: 0, z: 0 });
    expect(dec('ADC', 0x58, 0x46, 1)).toEqual({ a: 0x05, c: 1, z: 0 });
    // Z comes from the BCD result, as in Stella (an NMOS 6502 takes Z from the binary sum $9A).
    expect(dec('ADC', 0x99, 0x01, 0)).toEqual({ a: 0x00, c: 1, z: 1 });
    expect(dec('ADC', 0x12, 0x34, 0)).toEqual({ a: 0x46, c: 0, z: 0 });
    expect(dec('ADC', 0x50, 0x49, 1)).toEqual({ a: 0x00, c: 1, z: 1 });
  });

  it('SBC subtracts BCD digits with decimal borrow', () => {
    expect(dec('SBC', 0x20, 0x01, 1)).toEqual({ a: 0x19, c: 1, z: 0 });
    expect(dec('SBC', 0x46, 0x12, 1)).toEqual({ a: 0x34, c: 1, z: 0 });
    expect(dec('SBC', 0x40, 0x13, 0)).toEqual({ a: 0x26, c: 1, z: 0 });
    expect(dec('SBC', 0x00, 0x01, 1)).toEqual({ a: 0x99, c: 0, z: 0 });
    expect(dec('SBC', 0x32, 0x32, 1)).toEqual({ a: 0x00, c: 1, z: 1 });
    expect(dec('SBC', 0x10, 0x20, 1)).toEqual({ a: 0x90, c: 0, z: 0 });
  });

  it('a multi-byte BCD score counter carries between bytes', () => {
    // Adds 7 points 150 times to a 2-byte BCD score: 1050.
    const { bus } = run(
      `
      SED
      LDX #150
      loop: CLC
      LDA $81
      ADC #$07
      STA $81
      LDA $80
      ADC #$00
      STA $80
      DEX
      BNE loop
      CLD
      JAM`,
    );
    expect([bus.mem[0x80], bus.mem[0x81]]).toEqual([0x10, 0x50]);
  });

  it('invalid BCD digits count as 10..15, as in Stella', () => {
    expect(dec('ADC', 0x0f, 0x01, 0).a).toBe(0x16);
    expect(dec('ADC', 0x1a, 0x00, 0).a).toBe(0x20);
  });
});

describe('branches, jumps and the stack', () => {
  it('each branch follows its flag', () => {
    const cases: [string, string, boolean][] = [
      ['BEQ', 'LDA #0', true], ['BEQ', 'LDA #1', false],
      ['BNE', 'LDA #1', true], ['BNE', 'LDA #0', false],
      ['BMI', 'LDA #$80', true], ['BMI', 'LDA #1', false],
      ['BPL', 'LDA #1', true], ['BPL', 'LDA #$80', false],
      ['BCS', 'SEC', true], ['BCS', 'CLC', false],
      ['BCC', 'CLC', true], ['BCC', 'SEC', false],
      ['BVS', 'LDA #$7f\nADC #1', true], ['BVS', 'CLV', false],
      ['BVC', 'CLV', true], ['BVC', 'LDA #$7f\nADC #1', false],
    ];
    for (const [br, prep, taken] of cases) {
      const { cpu } = run(`CLC\n${prep}\n${br} yes\nLDY #1\nJAM\nyes: LDY #2\nJAM`);
      expect([br, prep, cpu.y]).toEqual([br, prep, taken ? 2 : 1]);
    }
  });

  it('branches backwards with negative offsets', () => {
    const { cpu } = run(`LDX #10\nLDY #0\nloop: INY\nDEX\nBNE loop\nJAM`);
    expect(cpu.y).toBe(10);
  });

  it('JMP absolute and indirect, including the NMOS page-wrap bug', () => {
    const { cpu } = run(
      `
      JMP ($30ff)    ; low from $30FF, high from $3000 (not $3100)
      .org $0400
      LDA #1
      JAM
      .org $0500
      LDA #2
      JAM`,
      { mem: { 0x30ff: 0x00, 0x3000: 0x05, 0x3100: 0x04 } },
    );
    expect(cpu.a).toBe(2);
    expect(run(`JMP ($3010)\n.org $0600\nLDA #3\nJAM`, { mem: { 0x3010: 0x00, 0x3011: 0x06 } }).cpu.a).toBe(3);
    expect(run(`JMP there\nLDA #1\nJAM\nthere: LDA #4\nJAM`).cpu.a).toBe(4);
  });

  it('JSR pushes the address of its last byte; RTS returns after it', () => {
    const { cpu, bus } = run(
      `
      start: JSR sub       ; at $0200, last byte $0202
      LDA #$55
      JAM
      sub: LDX $01ff
      LDY $01fe
      RTS`,
    );
    expect([cpu.x, cpu.y, cpu.a, cpu.sp]).toEqual([0x02, 0x02, 0x55, 0xff]);
    expect([bus.mem[0x1ff], bus.mem[0x1fe]]).toEqual([0x02, 0x02]);
  });

  it('nested subroutines and PHA/PLA', () => {
    const { cpu } = run(
      `
      LDA #1
      JSR sub1
      JAM
      sub1: PHA
      LDA #2
      JSR sub2
      PLA
      RTS
      sub2: PHA
      LDA #3
      PLA
      RTS`,
    );
    expect([cpu.a, cpu.sp]).toEqual([1, 0xff]);
    expect(cpu.p & FLAG.Z).toBe(0);
  });

  it('PLA sets N/Z; PLP ignores bits 4 and 5; PHP pushes them set', () => {
    const { cpu, bus } = run(
      `
      LDA #$00
      PHA
      PLP            ; all flags clear
      PHP
      PLA
      STA $00        ; $30
      LDA #$cf
      PHA
      PLP            ; N V D I Z C set
      PHP
      PLA
      STA $01
      JAM`,
    );
    expect([bus.mem[0], bus.mem[1]]).toEqual([0x30, 0xff]);
    expect(cpu.p & 0x82).toBe(FLAG.N);
    expect(cpu.sp).toBe(0xff);
  });

  it('the stack wraps within page 1', () => {
    const { cpu, bus } = run(`LDA #$77\nPHA\nPLA\nJAM`, { sp: 0x00 });
    expect(bus.mem[0x100]).toBe(0x77);
    expect(cpu.sp).toBe(0x00);
  });

  it('BRK pushes PC+2 and P with B set, sets I, jumps via $FFFE; RTI restores P and PC', () => {
    const { cpu, bus } = run(
      `
      start: SEC
      BRK            ; at $0201
      .byte $ea      ; signature byte, skipped
      LDA #$42       ; RTI returns here ($0203)
      JAM
      .org $0300
      irq: STA $00
      PHP
      PLA
      STA $01        ; P inside the handler
      LDA $01fd
      STA $02        ; pushed P
      LDX $01fe
      LDY $01ff
      CLC
      RTI
      .org $fffe
      .word irq`,
    );
    expect(bus.mem[0x01]).toBe(0x30 | FLAG.I | FLAG.C);
    expect(bus.mem[0x02]).toBe(0x30 | FLAG.C);
    expect([cpu.x, cpu.y]).toEqual([0x03, 0x02]);
    expect(cpu.a).toBe(0x42);
    expect(cpu.p & (FLAG.C | FLAG.I)).toBe(FLAG.C); // RTI restored C, cleared I
    expect(cpu.sp).toBe(0xff);
    expect(cpu.pc).toBe(0x0206); // one past the JAM
  });
});

describe('undocumented opcodes', () => {
  it('LAX loads A and X; SAX stores A AND X', () => {
    const { cpu, bus } = run(
      `
      LAX $10
      STX $00
      LDY #$01
      LAX $10,Y
      STA $01
      LAX $1000
      STX $02
      LAX $1000,Y
      STA $03
      LAX ($20,X)    ; X = $81 from the previous LAX -> pointer at $A1
      STA $04
      LAX ($30),Y
      STA $05
      LDA #$f0
      LDX #$3c
      SAX $06
      LDY #$01
      SAX $06,Y      ; $07
      SAX $1100
      SAX ($40,X)    ; pointer at $7C -> $1200
      JAM`,
      {
        mem: {
          0x10: 0x11, 0x11: 0x12, 0x1000: 0x13, 0x1001: 0x81, 0xa1: 0x00, 0xa2: 0x14, 0x1400: 0x15,
          0x30: 0x00, 0x31: 0x16, 0x1601: 0x96, 0x7c: 0x00, 0x7d: 0x12,
        },
      },
    );
    expect([...bus.mem.subarray(0, 8)]).toEqual([0x11, 0x12, 0x13, 0x81, 0x15, 0x96, 0x30, 0x30]);
    expect([bus.mem[0x1100], bus.mem[0x1200]]).toEqual([0x30, 0x30]);
    expect(cpu.x).toBe(0x3c);
  });

  it('LAX sets N and Z', () => {
    const { cpu } = run(`LAX $10\nJAM`, { mem: { 0x10: 0x80 } });
    expect([cpu.a, cpu.x, cpu.p & 0x82]).toEqual([0x80, 0x80, FLAG.N]);
  });

  it('DCP decrements memory then compares with A', () => {
    const { cpu, bus } = run(`LDA #$40\nDCP $10\nJAM`, { mem: { 0x10: 0x41 } });
    expect(bus.mem[0x10]).toBe(0x40);
    expect(cpu.p & 0x83).toBe(FLAG.Z | FLAG.C);
    const b = run(`LDA #$40\nLDY #1\nDCP $1000,Y\nJAM`, { mem: { 0x1001: 0x00 } });
    expect(b.bus.mem[0x1001]).toBe(0xff);
    expect(b.cpu.p & 0x83).toBe(0);
  });

  it('ISB increments memory then subtracts it from A', () => {
    const { cpu, bus } = run(`SEC\nLDA #$50\nISB $10\nJAM`, { mem: { 0x10: 0x0f } });
    expect(bus.mem[0x10]).toBe(0x10);
    expect(cpu.a).toBe(0x40);
    expect(cpu.p & FLAG.C).toBe(FLAG.C);
    const d = run(`SED\nSEC\nLDA #$50\nISC $10\nJAM`, { mem: { 0x10: 0x09 } });
    expect(d.cpu.a).toBe(0x40); // decimal: $50 - $0A, the invalid digit counting as 10
  });

  it('SLO, RLA, SRE, RRA combine a shift with ORA, AND, EOR, ADC', () => {
    const slo = run(`LDA #$01\nSLO $10\nJAM`, { mem: { 0x10: 0x81 } });
    expect([slo.bus.mem[0x10], slo.cpu.a, slo.cpu.p & FLAG.C]).toEqual([0x02, 0x03, FLAG.C]);

    const rla = run(`SEC\nLDA #$0f\nRLA $10\nJAM`, { mem: { 0x10: 0x85 } });
    expect([rla.bus.mem[0x10], rla.cpu.a, rla.cpu.p & FLAG.C]).toEqual([0x0b, 0x0b, FLAG.C]);

    const sre = run(`LDA #$ff\nSRE $10\nJAM`, { mem: { 0x10: 0x03 } });
    expect([sre.bus.mem[0x10], sre.cpu.a, sre.cpu.p & FLAG.C]).toEqual([0x01, 0xfe, FLAG.C]);

    // RRA: ROR memory ($03 -> $01, C=1), then A + $01 + C
    const rra = run(`CLC\nLDA #$10\nRRA $10\nJAM`, { mem: { 0x10: 0x03 } });
    expect([rra.bus.mem[0x10], rra.cpu.a, rra.cpu.p & FLAG.C]).toEqual([0x01, 0x12, 0]);
  });

  it('the combined ops work through (zp),Y and abs,Y too', () => {
    const { bus } = run(
      `
      LDY #$02
      SLO ($20),Y
      RLA $1000,Y
      SRE ($20),Y
      DCP $1000,Y
      JAM`,
      { mem: { 0x20: 0x00, 0x21: 0x30, 0x3002: 0x01, 0x1002: 0x10 } },
    );
    expect(bus.mem[0x3002]).toBe(0x01); // <<1 then >>1
    expect(bus.mem[0x1002]).toBe(0x1f); // ROL with C=0 -> $20, then DEC
  });

  it('ANC, ALR, ARR, SBX', () => {
    const anc = run(`LDA #$f0\nANC #$81\nJAM`).cpu;
    expect([anc.a, anc.p & 0x83]).toEqual([0x80, FLAG.N | FLAG.C]);

    const alr = run(`LDA #$ff\nALR #$03\nJAM`).cpu;
    expect([alr.a, alr.p & 0x83]).toEqual([0x01, FLAG.C]);

    // ARR: (A AND v) ROR with carry in; C = bit 6, V = bit 6 XOR bit 5
    const arr = run(`SEC\nLDA #$ff\nARR #$c0\nJAM`).cpu;
    expect([arr.a, arr.p & 0xc3]).toEqual([0xe0, FLAG.N | FLAG.C]);
    const arr2 = run(`CLC\nLDA #$ff\nARR #$40\nJAM`).cpu;
    expect([arr2.a, arr2.p & 0xc3]).toEqual([0x20, FLAG.V]);

    const sbx = run(`LDA #$f0\nLDX #$3c\nSBX #$10\nJAM`).cpu;
    expect([sbx.x, sbx.a, sbx.p & 0x83]).toEqual([0x20, 0xf0, FLAG.C]);
    const sbx2 = run(`LDA #$0f\nLDX #$ff\nAXS #$10\nJAM`).cpu;
    expect([sbx2.x, sbx2.p & 0x83]).toEqual([0xff, FLAG.N]);
  });

  it('the unstable store/load ops follow the formulas Stella uses', () => {
    // SHX/SHY/SHA store the register(s) AND (high byte of the target + 1).
    const shx = run(`LDX #$ff\nLDY #$01\nSHX $1200,Y\nJAM`);
    expect(shx.bus.mem[0x1201]).toBe(0x13);
    const shy = run(`LDY #$f0\nLDX #$02\nSHY $3400,X\nJAM`);
    expect(shy.bus.mem[0x3402]).toBe(0x30);
    const sha = run(`LDA #$ff\nLDX #$0f\nLDY #$00\nSHA $1200,Y\nJAM`);
    expect(sha.bus.mem[0x1200]).toBe(0x03);
    const shs = run(`LDA #$f3\nLDX #$3f\nLDY #$00\nSHS $1200,Y\nJAM`);
    expect([shs.bus.mem[0x1200], shs.cpu.sp]).toEqual([0x13, 0x33]);
    const las = run(`LDY #$01\nLAS $1000,Y\nJAM`, { sp: 0xf0, mem: { 0x1001: 0x3c } });
    expect([las.cpu.a, las.cpu.x, las.cpu.sp]).toEqual([0x30, 0x30, 0x30]);
    // ANE and LXA with the constant $EE.
    const ane = run(`LDA #$00\nLDX #$ff\nANE #$ff\nJAM`).cpu;
    expect(ane.a).toBe(0xee);
    const lxa = run(`LDA #$01\nLXA #$13\nJAM`).cpu;
    expect([lxa.a, lxa.x]).toEqual([0x03, 0x03]);
  });

  it('decimal-mode ARR applies the BCD fix-ups', () => {
    // A AND $ff = $ff; ROR with C=0 -> $7f; low digit fix-up: (f + 1) > 5 -> low nibble +6; high: f0+10 > 50 -> +$60, C=1
    const { cpu } = run(`SED\nCLC\nLDA #$ff\nARR #$ff\nJAM`);
    expect(cpu.a).toBe(0xd5);
    expect(cpu.p & (FLAG.C | FLAG.N | FLAG.V)).toBe(FLAG.C);
    // V = bit 6 of (A AND v) XOR bit 6 of the rotated value; no fix-up for $40 -> $20.
    const v = run(`SED\nCLC\nLDA #$40\nARR #$ff\nJAM`).cpu;
    expect([v.a, v.p & (FLAG.C | FLAG.N | FLAG.V)]).toEqual([0x20, FLAG.V]);
  });

  it('multi-byte NOPs skip their operands and change nothing', () => {
    const src = (ops: number[]): string => `.byte ${ops.map((o) => `$${o.toString(16)}`).join(',')}\nJAM`;
    const sizes: [number, number][] = [
      [0x1a, 1], [0x3a, 1], [0x5a, 1], [0x7a, 1], [0xda, 1], [0xfa, 1], [0xea, 1],
      [0x80, 2], [0x82, 2], [0x89, 2], [0xc2, 2], [0xe2, 2],
      [0x04, 2], [0x44, 2], [0x64, 2], [0x14, 2], [0x34, 2], [0x54, 2], [0x74, 2], [0xd4, 2], [0xf4, 2],
      [0x0c, 3], [0x1c, 3], [0x3c, 3], [0x5c, 3], [0x7c, 3], [0xdc, 3], [0xfc, 3],
    ];
    for (const [op, size] of sizes) {
      const { cpu } = setup(src([op, 0x10, 0x10]), { a: 0x12, x: 0x34, y: 0x56, p: 0xc3 });
      cpu.step();
      expect([op, cpu.pc - 0x200]).toEqual([op, size]);
      expect([cpu.a, cpu.x, cpu.y, cpu.p]).toEqual([0x12, 0x34, 0x56, 0xf3]);
    }
  });

  it('every opcode except the 12 JAMs executes without jamming', () => {
    for (let op = 0; op < 256; op++) {
      const { cpu } = setup(`.byte $${op.toString(16)}, $10, $10`);
      cpu.step();
      expect([op, cpu.jammed]).toEqual([op, JAM_OPCODES.includes(op)]);
    }
  });

  it('a jammed CPU only lets the clock run, and reset frees it', () => {
    for (const op of JAM_OPCODES) {
      const { cpu, bus } = setup(`.byte $${op.toString(16)}`);
      bus.cycles = 0;
      cpu.step();
      expect(cpu.jammed).toBe(true);
      const pc = cpu.pc;
      bus.log = [];
      for (let i = 0; i < 5; i++) cpu.step();
      expect(bus.log).toEqual([]);
      expect(cpu.pc).toBe(pc);
      expect(bus.cycles).toBe(2 + 5 * 2);
      cpu.reset();
      expect(cpu.jammed).toBe(false);
    }
  });
});

describe('cycle counts', () => {
  // [source, init, expected cycles] for one instruction at $0200
  const P = { x: 0x20, y: 0x20 }; // indexes that cross a page from base $xxF0
  const N = { x: 0x01, y: 0x01 };
  const table: [string, Init, number][] = [
    // implied / immediate / zero page
    ['NOP', {}, 2], ['LDA #1', {}, 2], ['LDA $10', {}, 3], ['LDA $10,X', N, 4], ['LDX $10,Y', N, 4],
    ['STA $10', {}, 3], ['STA $10,X', N, 4], ['INC $10', {}, 5], ['INC $10,X', N, 6],
    ['ASL A', {}, 2], ['ASL $10', {}, 5], ['BIT $10', {}, 3],
    // absolute, indexed reads with and without page crossing
    ['LDA $1234', {}, 4], ['LDA $1200,X', N, 4], ['LDA $12F0,X', P, 5], ['LDA $1200,Y', N, 4],
    ['LDA $12F0,Y', P, 5], ['LDX $12F0,Y', P, 5], ['LDY $12F0,X', P, 5], ['ADC $12F0,X', P, 5],
    ['CMP $12F0,Y', P, 5], ['EOR $1200,X', N, 4],
    // indexed stores and read-modify-write have fixed counts
    ['STA $1200,X', N, 5], ['STA $12F0,X', P, 5], ['STA $12F0,Y', P, 5],
    ['INC $1200,X', N, 7], ['INC $12F0,X', P, 7], ['ROL $1234', {}, 6],
    // indirect
    ['LDA ($10,X)', N, 6], ['STA ($10,X)', N, 6],
    ['LDA ($20),Y', { y: 0x01, mem: { 0x20: 0x00, 0x21: 0x12 } }, 5],
    ['LDA ($20),Y', { y: 0x20, mem: { 0x20: 0xf0, 0x21: 0x12 } }, 6],
    ['STA ($20),Y', { y: 0x20, mem: { 0x20: 0xf0, 0x21: 0x12 } }, 6],
    // stack, jumps, interrupts
    ['PHA', {}, 3], ['PHP', {}, 3], ['PLA', {}, 4], ['PLP', {}, 4], ['JSR $1234', {}, 6],
    ['RTS', {}, 6], ['RTI', {}, 6], ['BRK', {}, 7], ['JMP $1234', {}, 3], ['JMP ($1234)', {}, 5],
    ['TXS', {}, 2], ['INX', {}, 2], ['SED', {}, 2],
    // undocumented
    ['LAX $10', {}, 3], ['LAX $10,Y', N, 4], ['LAX $1234', {}, 4], ['LAX $12F0,Y', P, 5],
    ['LAX ($10,X)', N, 6], ['LAX ($20),Y', { y: 0x20, mem: { 0x20: 0xf0, 0x21: 0x12 } }, 6],
    ['SAX $10', {}, 3], ['SAX $10,Y', N, 4], ['SAX $1234', {}, 4], ['SAX ($10,X)', N, 6],
    ['DCP $10', {}, 5], ['DCP $10,X', N, 6], ['DCP $1234', {}, 6], ['DCP $12F0,X', P, 7],
    ['DCP $1200,Y', N, 7], ['DCP ($10,X)', N, 8], ['DCP ($20),Y', { y: 1 }, 8],
    ['ISB $1200,Y', N, 7], ['SLO $10', {}, 5], ['RLA $1234', {}, 6], ['SRE ($10,X)', N, 8], ['RRA $10,X', N, 6],
    ['ANC #1', {}, 2], ['ALR #1', {}, 2], ['ARR #1', {}, 2], ['SBX #1', {}, 2], ['SBC2 #1', {}, 2],
    ['NOP #1', {}, 2], ['NOP $10', {}, 3], ['NOP $10,X', N, 4], ['NOP $1234', {}, 4],
    ['NOP $1200,X', N, 4], ['NOP $12F0,X', P, 5], ['LAS $12F0,Y', P, 5], ['SHA $12F0,Y', P, 5],
  ];
  for (const [src, init, expected] of table) {
    it(`${src} ${JSON.stringify(init)} takes ${expected} cycles`, () => {
      expect(cyclesOf(src, init)).toBe(expected);
    });
  }

  it('every opcode the assembler knows takes the cycles its addressing mode and access kind give', () => {
    // Derived from the 6502's bus-cycle rules rather than copied from the core's table.
    const WRITES = new Set(['STA', 'STX', 'STY', 'SAX', 'SHA', 'SHX', 'SHY', 'SHS']);
    const RMW = new Set(['ASL', 'LSR', 'ROL', 'ROR', 'INC', 'DEC', 'SLO', 'RLA', 'SRE', 'RRA', 'DCP', 'ISB']);
    const READ: Partial<Record<Mode, number>> = { imm: 2, zp: 3, zpx: 4, zpy: 4, abs: 4, absx: 4, absy: 4, indx: 6, indy: 5 };
    const WRITE: Partial<Record<Mode, number>> = { zp: 3, zpx: 4, zpy: 4, abs: 4, absx: 5, absy: 5, indx: 6, indy: 6 };
    const MODIFY: Partial<Record<Mode, number>> = { zp: 5, zpx: 6, abs: 6, absx: 7, absy: 7, indx: 8, indy: 8 };
    const SPECIAL: Record<string, number> = {
      JMP: 3, JSR: 6, RTS: 6, RTI: 6, BRK: 7, PHA: 3, PHP: 3, PLA: 4, PLP: 4,
    };
    let checked = 0;
    for (const [mn, modes] of OPCODES) {
      for (const [mode, op] of modes) {
        if (mode === 'rel') continue; // branches have their own test
        let expected: number | undefined;
        if (mn === 'JMP' && mode === 'ind') expected = 5;
        else if (SPECIAL[mn] !== undefined) expected = SPECIAL[mn];
        else if (mode === 'imp') expected = 2;
        else if (WRITES.has(mn)) expected = WRITE[mode];
        else if (RMW.has(mn)) expected = MODIFY[mode];
        else expected = READ[mode];
        // X = Y = 0 and zero operands: no page is crossed.
        const got = cyclesOf(`.byte $${op.toString(16)}, $00, $00`);
        expect([mn, mode, got]).toEqual([mn, mode, expected]);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(200);
  });

  it('branches: 2 not taken, 3 taken, 4 taken across a page', () => {
    const branchCycles = (src: string, init: Init = {}): number => {
      const { cpu, bus, labels } = setup(src, init);
      while (cpu.pc !== labels.get('br')) cpu.step();
      bus.cycles = 0;
      cpu.step();
      return bus.cycles;
    };
    expect(branchCycles('LDA #1\nbr: BEQ t\nt: NOP')).toBe(2);
    expect(branchCycles('LDA #0\nbr: BEQ t\nNOP\nt: NOP')).toBe(3);
    // The branch ends at $02FF+1 = $0300; a target back in page 2 crosses.
    expect(branchCycles('.org $02f0\nstart: LDA #0\nJMP br\n.org $02fe\nbr: BEQ t\n.org $02e0\nt: NOP')).toBe(4);
    // Forward across a page.
    expect(branchCycles('.org $02f0\nstart: LDA #0\nbr: BEQ t\n.org $0310\nt: NOP')).toBe(4);
    // Target in the same page as the next instruction but not the branch itself: no extra cycle.
    expect(branchCycles('.org $02f0\nstart: LDA #0\nJMP br\n.org $02fe\nbr: BEQ t\n.org $0305\nt: NOP')).toBe(3);
  });
});

describe('bus timing (Stella low-compatibility core)', () => {
  const trace = (src: string, init: Init = {}): Access[] => {
    const { cpu, bus } = setup(src, init);
    bus.cycles = 0;
    bus.log = [];
    cpu.step();
    return bus.log;
  };

  it('adds the base cycles right after the opcode fetch: STA $10 writes at cycle 3', () => {
    expect(trace('STA $10', { a: 0x42 })).toEqual([
      { kind: 'r', addr: 0x200, value: 0x85, cycles: 0 },
      { kind: 'r', addr: 0x201, value: 0x10, cycles: 3 },
      { kind: 'w', addr: 0x10, value: 0x42, cycles: 3 },
    ]);
  });

  it('a page-crossing indexed read adds its cycle before the read', () => {
    const log = trace('LDA $12F0,X', { x: 0x20 });
    expect(log.map((l) => [l.kind, l.addr, l.cycles])).toEqual([
      ['r', 0x200, 0], ['r', 0x201, 4], ['r', 0x202, 4], ['r', 0x1310, 5],
    ]);
  });

  it('read-modify-write reads then writes, both at the end clock, with no dummy write', () => {
    const log = trace('INC $1234', { mem: { 0x1234: 7 } });
    expect(log.slice(3).map((l) => [l.kind, l.addr, l.value, l.cycles])).toEqual([
      ['r', 0x1234, 7, 6], ['w', 0x1234, 8, 6],
    ]);
    expect(log).toHaveLength(5);
  });

  it('implied instructions make no access beyond the opcode fetch', () => {
    expect(trace('INX')).toHaveLength(1);
    expect(trace('ASL A')).toHaveLength(1);
  });

  it('re-reads bus.cycles after each access (a device may move the clock, like WSYNC)', () => {
    // A write that jumps the clock to 76 must not be undone by the CPU.
    const { cpu, bus } = setup('STA $02\nLDA $12F0,X', { x: 0x20 });
    const write = bus.write.bind(bus);
    bus.write = (addr: number, v: number): void => {
      write(addr, v);
      if (addr === 0x02) bus.cycles = 76;
    };
    bus.cycles = 0;
    cpu.step();
    expect(bus.cycles).toBe(76);
    cpu.step();
    expect(bus.cycles).toBe(76 + 5);
  });

  it('keeps the extra reads Stella makes for JSR, RTS, PLA and BRK', () => {
    const jsr = trace('JSR $1234');
    expect(jsr.map((l) => [l.kind, l.addr, l.cycles])).toEqual([
      ['r', 0x200, 0], ['r', 0x201, 6], ['r', 0x1ff, 6], ['w', 0x1ff, 6], ['w', 0x1fe, 6], ['r', 0x202, 6],
    ]);
    const rts = trace('RTS', { sp: 0xfd, mem: { 0x1fe: 0x33, 0x1ff: 0x12 } });
    expect(rts.map((l) => [l.kind, l.addr])).toEqual([
      ['r', 0x200], ['r', 0x1fd], ['r', 0x1fe], ['r', 0x1ff], ['r', 0x1233],
    ]);
    const pla = trace('PLA', { sp: 0xfe });
    expect(pla.map((l) => [l.kind, l.addr])).toEqual([['r', 0x200], ['r', 0x1fe], ['r', 0x1ff]]);
    const brk = trace('BRK');
    expect(brk.map((l) => [l.kind, l.addr])).toEqual([
      ['r', 0x200], ['r', 0x201], ['w', 0x1ff], ['w', 0x1fe], ['w', 0x1fd], ['r', 0xfffe], ['r', 0xffff],
    ]);
  });

  it('a taken branch reads its offset at the base clock and adds the penalty after', () => {
    const log = trace('BNE t\nt: NOP', { p: 0 });
    expect(log.map((l) => l.cycles)).toEqual([0, 2]);
  });
});

describe('state', () => {
  it('saveState/loadState round-trips registers, flags and the jam', () => {
    const a = setup('NOP');
    a.cpu.loadState({ a: 1, x: 2, y: 3, sp: 0x80, pc: 0x1234, p: 0xc3, jammed: false });
    const s = a.cpu.saveState();
    expect(s).toEqual({ a: 1, x: 2, y: 3, sp: 0x80, pc: 0x1234, p: 0xf3, jammed: false });
    const b = setup('NOP');
    b.cpu.loadState(s);
    expect(b.cpu.saveState()).toEqual(s);
    const j = setup('JAM');
    j.cpu.step();
    const js = j.cpu.saveState();
    b.cpu.loadState(js);
    expect(b.cpu.jammed).toBe(true);
    b.cpu.loadState({ a: 0, x: 0, y: 0, sp: 0, pc: 0, p: 0 });
    expect(b.cpu.jammed).toBe(false);
  });

  it('two CPUs from the same state run identically', () => {
    const src = `
      SED
      loop: CLC
      LDA $80
      ADC #$13
      STA $80
      ROL $81
      LDX $80
      LAX $81
      DCP $82
      BNE loop
      JAM`;
    const a = setup(src);
    for (let i = 0; i < 37; i++) a.cpu.step();
    const b = setup(src);
    b.bus.mem.set(a.bus.mem);
    b.cpu.loadState(a.cpu.saveState());
    for (let i = 0; i < 500; i++) {
      a.cpu.step();
      b.cpu.step();
    }
    expect(b.cpu.saveState()).toEqual(a.cpu.saveState());
    expect(b.bus.mem).toEqual(a.bus.mem);
  });
});
