import { describe, expect, it } from 'vitest';
import { Cartridge, CartridgeError } from '../../atari/cartridge';

/** A ROM whose every byte holds its bank number in the high nibble and low address bits below. */
function bankedRom(size: number): Uint8Array {
  const rom = new Uint8Array(size);
  for (let i = 0; i < size; i++) rom[i] = ((i >> 12) << 4) | (i & 0x0f);
  return rom;
}

describe('Cartridge', () => {
  it('2K images are mirrored across $1000-$1FFF', () => {
    const rom = new Uint8Array(2048).map((_, i) => i & 0xff);
    const cart = new Cartridge(rom);
    expect(cart.kind).toBe('2K');
    expect(cart.read(0x1000)).toBe(0);
    expect(cart.read(0x1801)).toBe(1);
    expect(cart.read(0x1fff)).toBe(0xff);
    cart.write(0x1000); // ROM: ignored
    expect(cart.read(0x1000)).toBe(0);
  });

  it('4K images fill the window; no hotspots', () => {
    const rom = new Uint8Array(4096).map((_, i) => (i >> 8) ^ i);
    const cart = new Cartridge(rom);
    expect(cart.kind).toBe('4K');
    expect(cart.read(0x1ff8)).toBe(rom[0xff8]);
    expect(cart.read(0x1123)).toBe(rom[0x123]);
  });

  it('F8: starts in bank 1; reads and writes of $1FF8/$1FF9 switch, and the hotspot read returns the new bank', () => {
    const cart = new Cartridge(bankedRom(8192));
    expect(cart.kind).toBe('F8');
    expect(cart.bank).toBe(1);
    expect(cart.read(0x1003) >> 4).toBe(1);
    expect(cart.read(0x1ff8)).toBe(0x08); // bank 0's byte at $FF8
    expect(cart.bank).toBe(0);
    expect(cart.read(0x1003)).toBe(0x03);
    cart.write(0x1ff9);
    expect(cart.bank).toBe(1);
    expect(cart.read(0x1003)).toBe(0x13);
    cart.bank = 0;
    cart.reset();
    expect(cart.bank).toBe(1);
  });

  it('F6 (4 banks at $1FF6-$1FF9) and F4 (8 banks at $1FF4-$1FFB) start in bank 0', () => {
    const f6 = new Cartridge(bankedRom(16384));
    expect(f6.kind).toBe('F6');
    expect(f6.bank).toBe(0);
    for (let b = 0; b < 4; b++) {
      f6.read(0x1ff6 + b);
      expect(f6.bank).toBe(b);
      expect(f6.read(0x1100) >> 4).toBe(b);
    }
    const f4 = new Cartridge(bankedRom(32768));
    expect(f4.kind).toBe('F4');
    expect(f4.bank).toBe(0);
    f4.write(0x1ffb);
    expect(f4.bank).toBe(7);
    expect(f4.read(0x1005)).toBe(0x75);
    f4.read(0x1ff4);
    expect(f4.bank).toBe(0);
    expect(f4.read(0x1ff3)).toBe(0x03); // just below the hotspots: no switch
    expect(f4.bank).toBe(0);
  });

  it('rejects sizes it cannot run with a user-facing message', () => {
    for (const size of [0, 100, 2047, 3000, 65536]) {
      let err: unknown;
      try {
        new Cartridge(new Uint8Array(size));
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(CartridgeError);
      expect((err as CartridgeError).userFacing).toBe(true);
      expect((err as Error).message).toContain(`${size} bytes`);
    }
  });
});
