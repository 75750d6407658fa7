/**
 * The last choice of a split plan without minRun: every minute is fixed on or
 * off except the minutes tied at the threshold price, of which `wanted` must
 * go on. Which ones decides only the tie rule's last two steps: fewest run
 * starts, then earliest (at the first minute where two choices differ, the
 * one that runs).
 *
 * Tied minutes come in blocks (maximal stretches of consecutive tied minutes;
 * their neighbours are fixed). Putting x of a block's L minutes on costs:
 *   x = 0: a start where the right neighbour is on (it now follows an off minute);
 *   x = L: a start where the left neighbour is off;
 *   0 < x < L: attached to the left neighbour (minutes first … first + x − 1)
 *     when it is on: a start if the right neighbour is on; attached to the
 *     right neighbour when only it is on: one start; with both neighbours off,
 *     one start either way, and the left is earlier. Any other layout has at
 *     least as many starts and runs later, so it is never chosen.
 * A DP over blocks, W(b, j) = fewest starts from block b on with j minutes
 * still to place, takes O(1) per cell with a sliding minimum over x: O(blocks
 * × wanted) time, usually a handful of blocks (flat prices: one).
 */

const UNREACHABLE = 0xffff; // starts never exceed the 4320 minutes of the horizon

interface Block {
  first: number;
  length: number;
  /** Starts for x = 0, x = length, and 0 < x < length. */
  none: number;
  all: number;
  part: number;
  /** Where a partial choice sits: against the right neighbour (else the left). */
  partOnRight: boolean;
}

/** Sets `wanted` of the tied minutes on in `on` (where they are 0; every other minute is fixed). `running`: minute −1 is on. */
export function chooseTiedMinutes(on: Uint8Array, ties: readonly number[], wanted: number, running: boolean): void {
  const blocks = blocksOf(on, ties, running);
  const values = new BlockValues(blocks, wanted);
  for (let b = blocks.length - 1; b >= 0; b -= 1) values.fill(b);
  let left = wanted;
  for (let b = 0; b < blocks.length; b += 1) {
    const block = blocks[b];
    const chosen = values.bestCount(b, left);
    if (chosen === block.length || !block.partOnRight) on.fill(1, block.first, block.first + chosen);
    else on.fill(1, block.first + block.length - chosen, block.first + block.length);
    left -= chosen;
  }
}

function blocksOf(on: Uint8Array, ties: readonly number[], running: boolean): Block[] {
  const blocks: Block[] = [];
  for (let k = 0; k < ties.length; ) {
    const first = ties[k];
    let length = 1;
    while (k + length < ties.length && ties[k + length] === first + length) length += 1;
    k += length;
    const leftOn = first === 0 ? running : on[first - 1] === 1;
    const rightOn = first + length < on.length && on[first + length] === 1;
    blocks.push({
      first,
      length,
      none: rightOn ? 1 : 0,
      all: leftOn ? 0 : 1,
      part: leftOn ? (rightOn ? 1 : 0) : 1,
      partOnRight: !leftOn && rightOn,
    });
  }
  return blocks;
}

/** W(b, j) for j in the band [max(0, wanted − capacity before b), min(wanted, capacity from b)], 2 bytes a cell. */
class BlockValues {
  private readonly capacityFrom: Int32Array;
  private readonly offsets: Int32Array;
  private readonly cells: Uint16Array;

  constructor(
    private readonly blocks: readonly Block[],
    private readonly wanted: number,
  ) {
    const count = blocks.length;
    this.capacityFrom = new Int32Array(count + 1);
    for (let b = count - 1; b >= 0; b -= 1) this.capacityFrom[b] = this.capacityFrom[b + 1] + blocks[b].length;
    this.offsets = new Int32Array(count + 2);
    for (let b = 0; b <= count; b += 1) this.offsets[b + 1] = this.offsets[b] + Math.max(0, this.high(b) - this.low(b) + 1);
    this.cells = new Uint16Array(this.offsets[count + 1]).fill(UNREACHABLE);
    this.set(count, 0, 0); // after the last block: nothing left to place, no start more
  }

  private low(b: number): number {
    return Math.max(0, this.wanted - (this.capacityFrom[0] - this.capacityFrom[b]));
  }

  private high(b: number): number {
    return Math.min(this.wanted, this.capacityFrom[b]);
  }

  get(b: number, j: number): number {
    return j < this.low(b) || j > this.high(b) ? UNREACHABLE : this.cells[this.offsets[b] + j - this.low(b)];
  }

  private set(b: number, j: number, value: number): void {
    this.cells[this.offsets[b] + j - this.low(b)] = value;
  }

  /** W(b, ·) from W(b + 1, ·); the part choices take the minimum of W(b + 1, j − x) over 1 ≤ x ≤ L − 1, by a monotone deque. */
  fill(b: number): void {
    const { length, none, all, part } = this.blocks[b];
    const low = this.low(b);
    const high = this.high(b);
    // k = j − x in the window, ascending, their values increasing; below low(b + 1) every k is unreachable.
    let nextK = Math.max(low - length + 1, this.low(b + 1));
    const window = new Int32Array(Math.max(0, high - nextK + 1));
    let head = 0;
    let tail = 0;
    for (let j = low; j <= high; j += 1) {
      // The window is k in [j − L + 1, j − 1].
      for (; nextK <= j - 1; nextK += 1) {
        const value = this.get(b + 1, nextK);
        while (tail > head && this.get(b + 1, window[tail - 1]) >= value) tail -= 1;
        window[tail++] = nextK;
      }
      while (tail > head && window[head] < j - length + 1) head += 1;
      let best = plus(none, this.get(b + 1, j));
      if (j >= length) best = Math.min(best, plus(all, this.get(b + 1, j - length)));
      if (length >= 2 && tail > head) best = Math.min(best, plus(part, this.get(b + 1, window[head])));
      this.set(b, j, best);
    }
  }

  /** How many of block b's minutes go on with j left to place: all if that is optimal, else the most that is, else none (the earliest choice). */
  bestCount(b: number, j: number): number {
    const { length, all, part } = this.blocks[b];
    const target = this.get(b, j);
    if (j >= length && plus(all, this.get(b + 1, j - length)) === target) return length;
    for (let x = Math.min(length - 1, j); x >= 1; x -= 1) {
      if (plus(part, this.get(b + 1, j - x)) === target) return x;
    }
    return 0;
  }
}

function plus(starts: number, value: number): number {
  return value === UNREACHABLE ? UNREACHABLE : starts + value;
}
