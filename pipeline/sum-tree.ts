// Segment trees for proportional prioritized replay (Schaul et al. 2016): a sum tree to sample slot i
// with probability p_i / sum(p) in O(log n), and a min tree for the largest importance weight.
// Leaves are laid out after the internal nodes in one Float64Array (node k has children 2k, 2k+1).

export class SumTree {
  readonly capacity: number;
  private readonly leaves: number; // power of two >= capacity
  private readonly sums: Float64Array;
  private readonly mins: Float64Array;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new Error(`SumTree capacity must be a positive integer, got ${capacity}`);
    this.capacity = capacity;
    let n = 1;
    while (n < capacity) n *= 2;
    this.leaves = n;
    this.sums = new Float64Array(2 * n);
    this.mins = new Float64Array(2 * n).fill(Infinity);
  }

  /** Sum of all priorities. */
  get total(): number {
    return this.sums[1];
  }

  /** Smallest non-zero priority (Infinity when every slot is empty). */
  get min(): number {
    return this.mins[1];
  }

  get(index: number): number {
    return this.sums[this.leaves + index];
  }

  /** Set slot `index` to `priority` (>= 0; zero means "never sample"). */
  set(index: number, priority: number): void {
    if (index < 0 || index >= this.capacity) throw new RangeError(`SumTree index ${index} outside [0, ${this.capacity})`);
    if (!(priority >= 0) || !Number.isFinite(priority)) throw new RangeError(`SumTree priority must be finite and >= 0, got ${priority}`);
    let k = this.leaves + index;
    this.sums[k] = priority;
    this.mins[k] = priority > 0 ? priority : Infinity;
    k >>= 1;
    while (k >= 1) {
      this.sums[k] = this.sums[2 * k] + this.sums[2 * k + 1];
      this.mins[k] = Math.min(this.mins[2 * k], this.mins[2 * k + 1]);
      k >>= 1;
    }
  }

  /**
   * The slot whose cumulative-priority interval contains `mass` (0 <= mass < total).
   * Never returns a zero-priority slot as long as total > 0.
   */
  find(mass: number): number {
    let k = 1;
    while (k < this.leaves) {
      const left = 2 * k;
      if (mass < this.sums[left] || this.sums[left + 1] <= 0) {
        k = left;
      } else {
        mass -= this.sums[left];
        k = left + 1;
      }
    }
    // Float rounding can land on an empty leaf at the right edge: step back to a filled one.
    let index = k - this.leaves;
    while (index > 0 && this.sums[this.leaves + index] <= 0) index--;
    return index;
  }
}
