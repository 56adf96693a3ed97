/**
 * A tiny two-pass 6502 assembler for tests: enough to write small programs and test cartridges.
 *
 * Syntax (case-insensitive mnemonics, `;` comments):
 *   label:                      defines a label at the current address
 *   NAME = expr                 defines a constant
 *   .org expr                   sets the current address (gaps in the output are zero-filled)
 *   .byte e1, e2, ...           (also .db) bytes;  .word e1, ... (also .dw) little-endian words
 *   LDA #$10 / LDA $10 / LDA $10,X / LDA $1234,Y / LDA ($10,X) / LDA ($10),Y / JMP ($1234) / ASL A / ASL
 * Expressions: $hex, %binary, decimal, 'c', symbols, * (current address), + and -, and a leading
 * < (low byte) or > (high byte). An operand whose value is known in the first pass and below $100
 * uses zero-page addressing where the instruction has it; a hex literal written with 3 or 4 digits
 * ($0010) or a forward reference forces absolute addressing.
 * Undocumented mnemonics: LAX SAX DCP ISB (ISC) SLO RLA SRE RRA ANC ALR (ASR) ARR SBX (AXS) ANE LXA
 * LAS SHA SHX SHY SHS, NOP with operands (DOP/TOP), SBC2 (opcode $EB), JAM (KIL).
 */

export type Mode =
  | 'imp' | 'imm' | 'zp' | 'zpx' | 'zpy' | 'abs' | 'absx' | 'absy' | 'ind' | 'indx' | 'indy' | 'rel';

// mnemonic: "mode opcode mode opcode ..." (imp also covers the accumulator form, e.g. "ASL A")
const TABLE_SRC: Record<string, string> = {
  ADC: 'imm 69 zp 65 zpx 75 abs 6d absx 7d absy 79 indx 61 indy 71',
  AND: 'imm 29 zp 25 zpx 35 abs 2d absx 3d absy 39 indx 21 indy 31',
  ASL: 'imp 0a zp 06 zpx 16 abs 0e absx 1e',
  BCC: 'rel 90', BCS: 'rel b0', BEQ: 'rel f0', BMI: 'rel 30',
  BNE: 'rel d0', BPL: 'rel 10', BVC: 'rel 50', BVS: 'rel 70',
  BIT: 'zp 24 abs 2c',
  BRK: 'imp 00',
  CLC: 'imp 18', CLD: 'imp d8', CLI: 'imp 58', CLV: 'imp b8',
  CMP: 'imm c9 zp c5 zpx d5 abs cd absx dd absy d9 indx c1 indy d1',
  CPX: 'imm e0 zp e4 abs ec',
  CPY: 'imm c0 zp c4 abs cc',
  DEC: 'zp c6 zpx d6 abs ce absx de',
  DEX: 'imp ca', DEY: 'imp 88',
  EOR: 'imm 49 zp 45 zpx 55 abs 4d absx 5d absy 59 indx 41 indy 51',
  INC: 'zp e6 zpx f6 abs ee absx fe',
  INX: 'imp e8', INY: 'imp c8',
  JMP: 'abs 4c ind 6c',
  JSR: 'abs 20',
  LDA: 'imm a9 zp a5 zpx b5 abs ad absx bd absy b9 indx a1 indy b1',
  LDX: 'imm a2 zp a6 zpy b6 abs ae absy be',
  LDY: 'imm a0 zp a4 zpx b4 abs ac absx bc',
  LSR: 'imp 4a zp 46 zpx 56 abs 4e absx 5e',
  NOP: 'imp ea imm 80 zp 04 zpx 14 abs 0c absx 1c',
  ORA: 'imm 09 zp 05 zpx 15 abs 0d absx 1d absy 19 indx 01 indy 11',
  PHA: 'imp 48', PHP: 'imp 08', PLA: 'imp 68', PLP: 'imp 28',
  ROL: 'imp 2a zp 26 zpx 36 abs 2e absx 3e',
  ROR: 'imp 6a zp 66 zpx 76 abs 6e absx 7e',
  RTI: 'imp 40', RTS: 'imp 60',
  SBC: 'imm e9 zp e5 zpx f5 abs ed absx fd absy f9 indx e1 indy f1',
  SEC: 'imp 38', SED: 'imp f8', SEI: 'imp 78',
  STA: 'zp 85 zpx 95 abs 8d absx 9d absy 99 indx 81 indy 91',
  STX: 'zp 86 zpy 96 abs 8e',
  STY: 'zp 84 zpx 94 abs 8c',
  TAX: 'imp aa', TAY: 'imp a8', TSX: 'imp ba', TXA: 'imp 8a', TXS: 'imp 9a', TYA: 'imp 98',
  // undocumented
  LAX: 'zp a7 zpy b7 abs af absy bf indx a3 indy b3',
  SAX: 'zp 87 zpy 97 abs 8f indx 83',
  DCP: 'zp c7 zpx d7 abs cf absx df absy db indx c3 indy d3',
  ISB: 'zp e7 zpx f7 abs ef absx ff absy fb indx e3 indy f3',
  SLO: 'zp 07 zpx 17 abs 0f absx 1f absy 1b indx 03 indy 13',
  RLA: 'zp 27 zpx 37 abs 2f absx 3f absy 3b indx 23 indy 33',
  SRE: 'zp 47 zpx 57 abs 4f absx 5f absy 5b indx 43 indy 53',
  RRA: 'zp 67 zpx 77 abs 6f absx 7f absy 7b indx 63 indy 73',
  ANC: 'imm 0b', ALR: 'imm 4b', ARR: 'imm 6b', SBX: 'imm cb', ANE: 'imm 8b', LXA: 'imm ab',
  LAS: 'absy bb', SHA: 'absy 9f indy 93', SHX: 'absy 9e', SHY: 'absx 9c', SHS: 'absy 9b',
  SBC2: 'imm eb',
  JAM: 'imp 02',
};
const ALIASES: Record<string, string> = { ISC: 'ISB', ASR: 'ALR', AXS: 'SBX', KIL: 'JAM', TAS: 'SHS' };

const TABLE = new Map<string, Map<Mode, number>>();
/** Mnemonic → addressing mode → opcode, for every instruction this assembler knows. */
export const OPCODES: ReadonlyMap<string, ReadonlyMap<Mode, number>> = TABLE;
for (const [mn, spec] of Object.entries(TABLE_SRC)) {
  const parts = spec.split(/\s+/);
  const modes = new Map<Mode, number>();
  for (let i = 0; i < parts.length; i += 2) modes.set(parts[i] as Mode, parseInt(parts[i + 1], 16));
  TABLE.set(mn, modes);
}

const SIZE: Record<Mode, number> = {
  imp: 1, imm: 2, zp: 2, zpx: 2, zpy: 2, abs: 3, absx: 3, absy: 3, ind: 3, indx: 2, indy: 2, rel: 2,
};

export class AsmError extends Error {}

export interface Assembled {
  /** Address of bytes[0] (the lowest address written). */
  origin: number;
  /** Everything from the lowest to the highest address written; gaps are zero. */
  bytes: Uint8Array;
  labels: Map<string, number>;
}

interface Value {
  value: number | undefined; // undefined: not known yet (forward reference in pass 1)
  forceAbs: boolean;
}

/** Assembles `source`; `origin` is the starting address when the source has no .org first. */
export function assemble(source: string, origin = 0x0200): Assembled {
  const symbols = new Map<string, number>();
  let out = new Map<number, number>();
  // Addressing mode chosen per line in pass 1, so that pass 2 cannot change instruction sizes.
  const lineModes = new Map<number, Mode>();
  // Pass 1 fixes every instruction's size (and so every label); pass 2 emits with all symbols known.
  for (let pass = 1; pass <= 2; pass++) {
    out = new Map();
    let pc = origin;
    const lines = source.split('\n');
    for (let ln = 0; ln < lines.length; ln++) {
      const fail = (msg: string): never => {
        throw new AsmError(`line ${ln + 1}: ${msg}: ${lines[ln].trim()}`);
      };
      let line = stripComment(lines[ln]).trim();
      const lab = /^([A-Za-z_.][\w.]*):\s*/.exec(line);
      if (lab) {
        if (pass === 1 && symbols.has(lab[1])) fail(`duplicate label ${lab[1]}`);
        symbols.set(lab[1], pc);
        line = line.slice(lab[0].length);
      }
      if (line === '') continue;

      const eval1 = (text: string): Value => evaluate(text, symbols, pc, pass, fail);
      const known = (text: string): number => {
        const v = eval1(text).value;
        return v === undefined ? (pass === 1 ? 0 : fail(`unknown symbol in ${text}`)) : v;
      };
      const emit = (b: number): void => {
        out.set(pc & 0xffff, b & 0xff);
        pc = (pc + 1) & 0xffff;
      };

      const eq = /^([A-Za-z_][\w.]*)\s*=\s*(.+)$/.exec(line);
      if (eq) {
        const v = eval1(eq[2]).value;
        if (v === undefined) {
          if (pass === 2) fail(`unknown symbol in ${eq[2]}`);
        } else symbols.set(eq[1], v);
        continue;
      }

      const [word, ...restParts] = line.split(/\s+/);
      const rest = restParts.join(' ').trim();
      const directive = word.toLowerCase();
      if (directive === '.org' || directive === 'org') {
        const v = eval1(rest).value;
        if (v === undefined) fail('.org needs a known value');
        pc = v! & 0xffff;
        continue;
      }
      if (directive === '.byte' || directive === '.db') {
        for (const e of splitArgs(rest)) emit(known(e));
        continue;
      }
      if (directive === '.word' || directive === '.dw') {
        for (const e of splitArgs(rest)) {
          const v = known(e);
          emit(v);
          emit(v >> 8);
        }
        continue;
      }

      const mn = ALIASES[word.toUpperCase()] ?? word.toUpperCase();
      const modes = TABLE.get(mn);
      if (!modes) fail(`unknown mnemonic ${word}`);
      const parsed = parseOperand(rest, modes!, eval1, fail);
      if (pass === 1) lineModes.set(ln, parsed.mode);
      const mode = lineModes.get(ln)!;
      const expr = parsed.expr;
      const opcode = modes!.get(mode);
      if (opcode === undefined) fail(`${mn} has no ${mode} addressing mode`);
      emit(opcode!);
      if (mode === 'imp') continue;
      const v = known(expr);
      if (mode === 'rel') {
        const off = v - ((pc + 1) & 0xffff);
        if (pass === 2 && (off < -128 || off > 127)) fail(`branch out of range (${off})`);
        emit(off);
      } else if (SIZE[mode] === 2) {
        if (pass === 2 && mode !== 'imm' && (v < 0 || v > 0xff)) fail(`zero-page operand out of range`);
        if (pass === 2 && mode === 'imm' && (v < -128 || v > 0xff)) fail(`immediate operand out of range`);
        emit(v);
      } else {
        emit(v);
        emit(v >> 8);
      }
    }
  }
  if (out.size === 0) return { origin, bytes: new Uint8Array(0), labels: symbols };
  const addrs = [...out.keys()];
  const lo = Math.min(...addrs);
  const hi = Math.max(...addrs);
  const bytes = new Uint8Array(hi - lo + 1);
  for (const [a, b] of out) bytes[a - lo] = b;
  return { origin: lo, bytes, labels: symbols };
}

function stripComment(line: string): string {
  let inQuote = false;
  for (let i = 0; i < line.length; i++) {
    if (line[i] === "'") inQuote = !inQuote;
    else if (line[i] === ';' && !inQuote) return line.slice(0, i);
  }
  return line;
}

function splitArgs(s: string): string[] {
  return s.split(',').map((p) => p.trim()).filter((p) => p !== '');
}

function parseOperand(
  rest: string,
  modes: Map<Mode, number>,
  eval1: (t: string) => Value,
  fail: (m: string) => never,
): { mode: Mode; expr: string } {
  const t = rest.replace(/\s+/g, '');
  if (t === '' || t.toUpperCase() === 'A') return { mode: 'imp', expr: '' };
  if (modes.has('rel')) return { mode: 'rel', expr: t };
  if (t.startsWith('#')) return { mode: 'imm', expr: t.slice(1) };
  let m: RegExpExecArray | null;
  if ((m = /^\((.+),[xX]\)$/.exec(t))) return { mode: 'indx', expr: m[1] };
  if ((m = /^\((.+)\),[yY]$/.exec(t))) return { mode: 'indy', expr: m[1] };
  if ((m = /^\((.+)\)$/.exec(t))) return { mode: 'ind', expr: m[1] };
  let index = '';
  let expr = t;
  if ((m = /^(.+),([xXyY])$/.exec(t))) {
    expr = m[1];
    index = m[2].toLowerCase();
  }
  const v = eval1(expr);
  const small = !v.forceAbs && v.value !== undefined && v.value >= 0 && v.value <= 0xff;
  const zpMode = (index === '' ? 'zp' : index === 'x' ? 'zpx' : 'zpy') as Mode;
  const absMode = (index === '' ? 'abs' : index === 'x' ? 'absx' : 'absy') as Mode;
  if (small && modes.has(zpMode)) return { mode: zpMode, expr };
  if (modes.has(absMode)) return { mode: absMode, expr };
  if (modes.has(zpMode)) return { mode: zpMode, expr };
  return fail(`bad operand ${rest}`);
}

/** Evaluates an expression; `value` is undefined in pass 1 when a symbol is not defined yet. */
function evaluate(
  text: string,
  symbols: Map<string, number>,
  pc: number,
  pass: number,
  fail: (m: string) => never,
): Value {
  let s = text.trim();
  let byteSel = '';
  if (s.startsWith('<') || s.startsWith('>')) {
    byteSel = s[0];
    s = s.slice(1).trim();
  }
  const tokens = s.match(/\$[0-9a-fA-F]+|%[01]+|\d+|'.'|[A-Za-z_.][\w.]*|\*|[+-]/g);
  if (!tokens || tokens.join('') !== s.replace(/\s+/g, '')) fail(`bad expression ${text}`);
  let total = 0;
  let sign = 1;
  let expectTerm = true;
  let forceAbs = false;
  let unknown = false;
  for (const tok of tokens!) {
    if (tok === '+' || tok === '-') {
      if (expectTerm) {
        if (tok === '-') sign = -sign;
        continue;
      }
      sign = tok === '-' ? -1 : 1;
      expectTerm = true;
      continue;
    }
    if (!expectTerm) fail(`bad expression ${text}`);
    let v: number | undefined;
    if (tok[0] === '$') {
      v = parseInt(tok.slice(1), 16);
      if (tok.length > 3) forceAbs = true;
    } else if (tok[0] === '%') v = parseInt(tok.slice(1), 2);
    else if (tok[0] === "'") v = tok.charCodeAt(1);
    else if (tok === '*') v = pc;
    else if (/^\d/.test(tok)) v = parseInt(tok, 10);
    else {
      v = symbols.get(tok);
      if (v === undefined) {
        if (pass === 2) fail(`unknown symbol ${tok}`);
        unknown = true;
        forceAbs = true;
      }
    }
    total += sign * (v ?? 0);
    sign = 1;
    expectTerm = false;
  }
  if (expectTerm) fail(`bad expression ${text}`);
  if (byteSel === '<') total &= 0xff;
  if (byteSel === '>') total = (total >> 8) & 0xff;
  return { value: unknown ? undefined : total, forceAbs: byteSel ? false : forceAbs };
}
