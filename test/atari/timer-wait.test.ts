import { describe, expect, it, vi } from 'vitest';
import { Console } from '../../atari/console';
import { assemble } from './asm';

// The console runs `LDA INTIM / BNE` wait loops of 2K/4K cartridges in one go (Console.skipTimerWait).
// The same program on an F8 (8K) cartridge, both banks alike, is stepped instruction by instruction:
// the two must stay identical in every register, RAM byte and pixel.

const PROGRAM = `
.org $F000
start:
  ldx #$FF
  txs
frame:
  lda #2
  sta $00       ; VSYNC on
  sta $02
  sta $02
  sta $02
  lda #0
  sta $00       ; VSYNC off: the frame ends
  lda $80
  and #$3F
  ora #1
  sta $0296     ; TIM64T, 1..63 (1 expires before the first read)
wait:
  lda $0284
  bne wait
  sta $11       ; RESP1: P1's position records the exact clock the loop ended at
  sta $02
  inc $80
  ldx $80
  stx $09       ; COLUBK: frames differ on screen
  lda $80
  and #3
  bne short
  lda $80       ; a delay whose instruction count changes parity from one long wait to
  lsr           ; the next (three instructions a round, one more round each time), so that
  lsr           ; the 25,000-instruction limit cuts the next loop after either instruction
  tay
delay:
  dey
  nop
  bne delay
  lda #200
  sta $0297     ; T1024T 200: a wait longer than one frame's 25,000 instructions
wait2:
  lda $0286
  bne wait2
  jmp frame
short:
  lda #30
  sta $0295     ; TIM8T
  jmp wait3
.org $F2FD
wait3:          ; its BNE crosses a page: 4 cycles when taken
  lda $0284
  bne wait3
  sta $10       ; RESP0
  sta $02
  jmp frame
.org $FFFC
.word start
.word start
`;

function image(): Uint8Array {
  const { bytes, origin } = assemble(PROGRAM, 0xf000);
  const rom = new Uint8Array(4096);
  rom.set(bytes, origin - 0xf000);
  return rom;
}

describe('timer wait loops', () => {
  it('run in one go on a 4K cartridge with exactly the effects of stepping them (F8 copy)', () => {
    const rom4 = image();
    const rom8 = new Uint8Array(8192);
    rom8.set(rom4, 0);
    rom8.set(rom4, 4096);
    const fast = new Console(rom4);
    const slow = new Console(rom8);
    fast.reset();
    slow.reset();
    const fastReads = vi.spyOn(fast.riot, 'read');
    const slowReads = vi.spyOn(slow.riot, 'read');
    for (let f = 0; f < 60; f++) {
      const endedFast = fast.runFrame();
      const endedSlow = slow.runFrame();
      expect(endedFast).toBe(endedSlow);
      const a = fast.saveState();
      const b = slow.saveState();
      // The selected bank (word 11) differs by construction: F8 starts in bank 1.
      a.regs[11] = b.regs[11] = 0;
      expect(Array.from(a.regs), `registers after frame ${f}`).toEqual(Array.from(b.regs));
      expect(Array.from(a.ram), `RAM after frame ${f}`).toEqual(Array.from(b.ram));
      expect(Buffer.from(fast.screen).equals(Buffer.from(slow.screen)), `screen after frame ${f}`).toBe(true);
    }
    // The long waits cut frames short, and the 4K console really skipped its loops.
    expect(fast.riot.read).toHaveBeenCalled();
    expect(fastReads.mock.calls.length * 10).toBeLessThan(slowReads.mock.calls.length);
  });
});
