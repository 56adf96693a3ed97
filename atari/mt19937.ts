/**
 * The 32-bit Mersenne Twister with the exact output sequence of C++ `std::mt19937`
 * (default seed 5489, `seed(s)` with the standard 1812433253 initialisation). ALE draws its
 * sticky-action decisions and its console start-up randomness from this generator, so matching
 * ALE means matching it draw for draw.
 *
 * The whole state (624 words plus the position) lives in one Uint32Array so that saving and
 * restoring it is a single typed-array copy.
 */
const N = 624;
const M = 397;
const UPPER = 0x80000000;
const LOWER = 0x7fffffff;
const MATRIX_A = 0x9908b0df;

export class Mt19937 {
  /** Words 0..623: the state; word 624: index of the next word to temper. */
  readonly state = new Uint32Array(N + 1);

  constructor(seed = 5489) {
    this.seed(seed);
  }

  seed(seed: number): void {
    const mt = this.state;
    mt[0] = seed >>> 0;
    for (let i = 1; i < N; i++) {
      const prev = mt[i - 1];
      mt[i] = (Math.imul(1812433253, prev ^ (prev >>> 30)) + i) >>> 0;
    }
    mt[N] = N;
  }

  /** Next 32-bit output, as an unsigned number. */
  next(): number {
    const mt = this.state;
    let i = mt[N];
    if (i >= N) {
      this.twist();
      i = 0;
    }
    let y = mt[i];
    mt[N] = i + 1;
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  /** next() / 2^32: a double in [0, 1), ALE's sticky-action draw. */
  nextDouble(): number {
    return this.next() / 4294967296;
  }

  private twist(): void {
    const mt = this.state;
    for (let k = 0; k < N; k++) {
      const y = (mt[k] & UPPER) | (mt[(k + 1) % N] & LOWER);
      mt[k] = mt[(k + M) % N] ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
    }
  }

  saveState(out?: Uint32Array): Uint32Array {
    const s = out ?? new Uint32Array(N + 1);
    s.set(this.state);
    return s;
  }

  loadState(s: Uint32Array): void {
    if (s.length !== N + 1) throw new Error(`mt19937 state must have ${N + 1} words, got ${s.length}`);
    this.state.set(s);
  }
}
