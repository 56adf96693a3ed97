/**
 * What the 6507 sees of the machine: a 13-bit address bus and the system clock.
 *
 * Timing follows Stella's "low compatibility" core, which ALE uses: an instruction's base cycle
 * count is added to `cycles` right after its opcode fetch, before its operand reads and writes, so
 * the TIA and RIOT see every access of an instruction at the clock of the instruction's end.
 * Devices may move the clock themselves (a WSYNC write jumps it to the next scanline start).
 */
export interface Bus {
  /** CPU cycles elapsed since the current frame's clock origin. */
  cycles: number;
  read(address: number): number;
  write(address: number, value: number): void;
}
