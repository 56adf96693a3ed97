import { describe, expect, it } from 'vitest';
import { Riot } from '../../atari/riot';

function setup() {
  const host = { cycles: 0, swcha: 0xff, swchb: 0x3f };
  const riot = new Riot(host);
  riot.reset(50);
  return { host, riot };
}

const INTIM = 0x284;
const TIMINT = 0x285;

describe('Riot', () => {
  it('ports: SWCHA and SWCHB come from the host; DDRA is read back; SWCHB/DDRB writes do nothing', () => {
    const { host, riot } = setup();
    host.swcha = 0x7f;
    expect(riot.read(0x280)).toBe(0x7f);
    expect(riot.read(0x282)).toBe(0x3f);
    riot.write(0x281, 0xa5);
    expect(riot.read(0x281)).toBe(0xa5);
    riot.write(0x283, 0xff);
    expect(riot.read(0x283)).toBe(0);
    riot.reset(10);
    expect(riot.read(0x281)).toBe(0); // DDRs cleared by a reset
  });

  it('TIM64T counts down once every 64 cycles, reading timer - 1 right after the write', () => {
    const { host, riot } = setup();
    host.cycles = 100;
    riot.write(0x296, 10); // TIM64T
    host.cycles = 101;
    expect(riot.read(INTIM)).toBe(9);
    host.cycles = 100 + 64;
    expect(riot.read(INTIM)).toBe(9);
    host.cycles = 100 + 65;
    expect(riot.read(INTIM)).toBe(8);
    host.cycles = 100 + 640;
    expect(riot.read(INTIM)).toBe(0);
    expect(riot.read(TIMINT)).toBe(0);
  });

  it('after expiry: 0xFF, the interrupt flag, then Stella 2.4.2 keeps counting from the first late read', () => {
    const { host, riot } = setup();
    host.cycles = 100;
    riot.write(0x296, 10);
    host.cycles = 100 + 641; // delta 640: timer reached -1
    expect(riot.read(TIMINT)).toBe(0x80);
    expect(riot.read(INTIM)).toBe(0xff);
    host.cycles = 100 + 642; // delta 641: first read at or past -2 latches the interrupt point
    expect(riot.read(INTIM)).toBe(0xfe);
    expect(riot.read(TIMINT)).toBe(0); // flag reads 0 once the timer was read after the interrupt
    host.cycles = 100 + 642 + 64;
    expect(riot.read(INTIM)).toBe(0xfd);
  });

  it('TIM1T, TIM8T and T1024T use dividers 1, 8 and 1024; a new write restarts the timer', () => {
    const { host, riot } = setup();
    host.cycles = 0;
    riot.write(0x294, 100); // TIM1T
    host.cycles = 11;
    expect(riot.read(INTIM)).toBe(89);
    riot.write(0x295, 5); // TIM8T at cycle 11
    host.cycles = 11 + 1 + 16;
    expect(riot.read(INTIM)).toBe(2);
    host.cycles = 1000;
    riot.write(0x297, 3); // T1024T
    host.cycles = 1000 + 1 + 1024;
    expect(riot.read(INTIM)).toBe(1);
  });

  it('the timer survives the clock being re-based to 0 (frame start)', () => {
    const { host, riot } = setup();
    host.cycles = 5000;
    riot.write(0x296, 20);
    host.cycles = 5000 + 1 + 64 * 3;
    const before = riot.read(INTIM);
    riot.systemCyclesReset(host.cycles);
    host.cycles = 0;
    expect(riot.read(INTIM)).toBe(before);
    host.cycles = 64;
    expect(riot.read(INTIM)).toBe(before - 1);
  });

  it('the hardware-reset timer runs with the /64 divider from the given start value', () => {
    const { host, riot } = setup();
    riot.reset(30);
    host.cycles = 1;
    expect(riot.read(INTIM)).toBe(29);
    host.cycles = 1 + 64 * 29;
    expect(riot.read(INTIM)).toBe(0);
  });

  it('state save/load round-trips the timer', () => {
    const { host, riot } = setup();
    host.cycles = 10;
    riot.write(0x295, 77);
    const s = new Int32Array(8);
    riot.saveState(s, 0);
    host.cycles = 500;
    const v = riot.read(INTIM);
    riot.write(0x294, 3);
    riot.loadState(s, 0);
    expect(riot.read(INTIM)).toBe(v);
  });
});
