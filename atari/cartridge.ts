/**
 * Cartridges: 2K and 4K ROMs, and the Atari bank-switching schemes F8 (8K), F6 (16K) and F4 (32K).
 * A bank-switched cartridge shows one 4K bank at $1000-$1FFF; touching a hotspot address near the
 * top of the space (read or write) selects another bank, and a read of a hotspot returns the byte
 * of the newly selected bank (as Stella does).
 *
 * One class for all kinds keeps the CPU's bus reads monomorphic.
 */

/** A ROM image we cannot run. `userFacing` lets the CLI print just the message. */
export class CartridgeError extends Error {
  readonly userFacing = true;
  constructor(message: string) {
    super(message);
    this.name = 'CartridgeError';
  }
}

export type CartridgeKind = '2K' | '4K' | 'F8' | 'F6' | 'F4';

interface Layout {
  kind: CartridgeKind;
  /** First and last hotspot offsets within the 4K window (hotLo > hotHi: no hotspots). */
  hotLo: number;
  hotHi: number;
  /** Bank selected at power-on and by a hardware reset. */
  resetBank: number;
  /** Address bits that index the ROM within one bank. */
  addressMask: number;
}

const LAYOUTS: Record<number, Layout> = {
  2048: { kind: '2K', hotLo: 1, hotHi: 0, resetBank: 0, addressMask: 0x7ff },
  4096: { kind: '4K', hotLo: 1, hotHi: 0, resetBank: 0, addressMask: 0xfff },
  8192: { kind: 'F8', hotLo: 0xff8, hotHi: 0xff9, resetBank: 1, addressMask: 0xfff },
  16384: { kind: 'F6', hotLo: 0xff6, hotHi: 0xff9, resetBank: 0, addressMask: 0xfff },
  32768: { kind: 'F4', hotLo: 0xff4, hotHi: 0xffb, resetBank: 0, addressMask: 0xfff },
};

export class Cartridge {
  readonly kind: CartridgeKind;
  readonly image: Uint8Array;
  private readonly hotLo: number;
  private readonly hotHi: number;
  private readonly resetBank: number;
  private readonly addressMask: number;
  /** Offset of the selected bank in `image`. */
  private bankOffset = 0;

  constructor(rom: Uint8Array) {
    const layout = LAYOUTS[rom.length];
    if (!layout) {
      throw new CartridgeError(
        `unsupported ROM size ${rom.length} bytes: expected 2048 (2K), 4096 (4K), 8192 (F8), 16384 (F6) or 32768 (F4)`,
      );
    }
    this.kind = layout.kind;
    this.image = Uint8Array.from(rom);
    this.hotLo = layout.hotLo;
    this.hotHi = layout.hotHi;
    this.resetBank = layout.resetBank;
    this.addressMask = layout.addressMask;
    this.reset();
  }

  get bank(): number {
    return this.bankOffset >> 12;
  }

  set bank(b: number) {
    this.bankOffset = (b << 12) % this.image.length;
  }

  get bankCount(): number {
    return Math.max(1, this.image.length >> 12);
  }

  reset(): void {
    this.bank = this.resetBank;
  }

  /** `address` is a 13-bit bus address with A12 set. */
  read(address: number): number {
    const offset = address & 0xfff;
    if (offset >= this.hotLo && offset <= this.hotHi) this.bankOffset = (offset - this.hotLo) << 12;
    return this.image[this.bankOffset + (offset & this.addressMask)];
  }

  /** ROM ignores writes, except that a hotspot write switches banks. */
  write(address: number): void {
    const offset = address & 0xfff;
    if (offset >= this.hotLo && offset <= this.hotHi) this.bankOffset = (offset - this.hotLo) << 12;
  }
}
