// From the world model's per-pixel logits to a Breakout frame: one ball, one paddle, and digits from
// the game's font (README, "Decoding a frame").
//
// The decoder scores each pixel on its own. When the ball's next place is uncertain, its probability
// is spread over a few candidate places and a per-pixel argmax draws fragments in several of them, or
// (with the keep bias, LatentActionConfig.keepBias) in none: the ball smears, breaks up or vanishes,
// and in play it is gone within a few dozen steps. Breakout has one 2x4-pixel ball, so a frame is
// decoded as the per-pixel argmax, then, in the ball's field, every red pixel is given its best other
// class and the ball is drawn once, on the 2x4 box of highest mean red probability when that mean is
// at least BALL_MIN_PROB (else the model thinks there is no ball, as after a lost life). A ball only
// leaves the screen at the bottom, so when the last frame has one well above the paddle, the next
// frame has it too: it is drawn on the best box within a step's reach of the last, however unsure the
// model is. And a ball clear of the walls, the bricks and the paddle flies straight (clear of only the
// side walls, straight up and down; clear of only the bricks and the paddle, straight across): when the
// model gives that line any probability at all, the ball is drawn on it. The model is often of two minds
// about a fast ball's direction, and the wrong mind is the larger (README). A ball head, when given
// (models/ball-head.ts), names the place first: it also knows the bounces, where the flight rule is silent,
// and follows the ball among the bricks, where the game draws it in each row's colour (a red box is never
// drawn there).
//
// Bricks go whole, so each brick cell is drawn whole too (wholeBricks): a brick the decoder leaves with
// holes would read as the ball among the bricks, and the ball head would follow that phantom.
//
// The paddle is one red bar on rows 189-192, 16 pixels wide (8 once it has shrunk), and never leaves
// the screen; pushed against the right wall it slides partly under the wall (whose bottom is red too).
// The model, unsure there, erodes it a few columns a step until it is gone, so it is drawn once, as wide
// as in the last frame, where the summed red log-odds of its columns are highest, or where a paddle head
// (models/paddle-head.ts) puts it for the step's code.
//
// The score changes a step after the brick it counts or in the same step, depending on where in the
// 4-frame skip the hit fell, which the model cannot see: it half-draws the next digit. Each digit cell
// is therefore drawn as the font glyph (or blank) of highest summed log-probability. And as the score
// counts bricks, it is kept as it was unless a brick went in this step or the last: where a life should
// go, the model would add a point.
import type * as tf from '@tensorflow/tfjs';
import { type LatentActionModel, padding } from '../models/latent-action';
import { FRAME_HEIGHT, FRAME_PIXELS, FRAME_WIDTH, GREY_CLASS, NUM_CLASSES, RED_CLASS } from './frame-classes';

/** Smallest mean red probability of the best box for a ball to be drawn (chosen on validation data: README). */
export const BALL_MIN_PROB = 0.06;
export const BALL_W = 2;
export const BALL_H = 4;
/** Columns inside the side walls. */
export const FIELD_X: readonly [number, number] = [8, 151];
/** Rows below the top wall and above the paddle, in two bands around the red brick row (where red is bricks). */
export const FIELD_BANDS: readonly (readonly [number, number])[] = [[32, 56], [63, 188]];
/** The brick rows: here the game draws the ball in the row's colour, so a red ball is below them (or above). */
export const BRICK_BAND: readonly [number, number] = [57, 92];
/** Brick cells: six rows of 6 px from the band's top, 18 columns of 8 px from the left wall. */
export const BRICK_ROWS = 6;
export const BRICK_H = 6;
export const BRICK_LEFT = FIELD_X[0];
export const BRICK_W = 8;
export const BRICK_COLS = 18;
const BRICK_CELLS = BRICK_ROWS * BRICK_COLS;
const RED_BALL_BANDS: readonly (readonly [number, number])[] = [[32, 56], [93, 188]];

/** The ball moves at most 8 px across and 14 down a step: one whose top is above this row is still in the field next step. */
const BALL_STAYS_Y = 170;
/** How far from the last ball the next is looked for (a step's reach and some slack). */
const BALL_REACH_X = 12;
const BALL_REACH_Y = 18;
/** Smallest mean red probability of a box for a ball kept from the last frame: above what counts as 0 (e^-8, below). */
const BALL_KEPT_MIN_PROB = 1e-3;
/**
 * Top-left corners of a ball in free flight: a step's travel (8 px across) inside the side walls, below
 * the lowest brick row (87-92) and with its bottom well above the paddle's row (189).
 */
const FLIGHT_X: readonly [number, number] = [12, 146];
const FLIGHT_Y: readonly [number, number] = [94, 181];

/** The paddle's rows, and the columns it shows in (from the left wall to the right wall, under which it may slide). */
const PADDLE_Y: readonly [number, number] = [189, 192];
export const PADDLE_X: readonly [number, number] = [8, 151];
const PADDLE_W = 16;
const SHRUNK_PADDLE_W = 8;
/** How far the paddle's left edge moves in one step at most (recorded games: 27 px). */
const PADDLE_REACH = 32;

/** 1 on the pixels of the paddle's lane. */
const PADDLE_LANE: Uint8Array = (() => {
  const m = new Uint8Array(FRAME_PIXELS);
  for (let y = PADDLE_Y[0]; y <= PADDLE_Y[1]; y++) m.fill(1, y * FRAME_WIDTH + PADDLE_X[0], y * FRAME_WIDTH + PADDLE_X[1] + 1);
  return m;
})();

/** 1 on the pixels of the ball's field. */
export const BALL_FIELD: Uint8Array = (() => {
  const m = new Uint8Array(FRAME_PIXELS);
  for (const [y0, y1] of FIELD_BANDS) for (let y = y0; y <= y1; y++) m.fill(1, y * FRAME_WIDTH + FIELD_X[0], y * FRAME_WIDTH + FIELD_X[1] + 1);
  return m;
})();

export interface BallPlace { x: number; y: number }

/** Where the ball goes next, from the context frames (oldest first), their balls and the predicted frame's paddle left edge (models/ball-head.ts). */
export interface BallPredictor { next(context: readonly Uint8Array[], balls: readonly (BallPlace | null)[], targetPaddle: number | null): BallPlace | 'gone' | null }

/** Where the paddle's left edge goes next, from the context frames (oldest first) and the transition's latent code (models/paddle-head.ts). */
export interface PaddlePredictor { next(context: readonly Uint8Array[], code: number): number | null }

/** The heads that name the ball's and the paddle's next places (none: the decoder alone). */
export interface DecodeHeads { ball?: BallPredictor | null; paddle?: PaddlePredictor | null }

/** Top-left corner of the ball (the red pixels of the ball's field) in a class frame, or null. */
export function fieldBall(frame: Uint8Array): BallPlace | null {
  // Only the field's rows and columns: decoding runs this on every context frame, every step.
  let x = Infinity, y = Infinity;
  for (const [y0, y1] of FIELD_BANDS) {
    for (let row = y0; row <= y1; row++) {
      const o = row * FRAME_WIDTH;
      for (let col = FIELD_X[0]; col <= FIELD_X[1]; col++) if (frame[o + col] === RED_CLASS) { if (y === Infinity) y = row; if (col < x) x = col; }
    }
  }
  return y === Infinity ? null : { x, y };
}

/** 1 for each brick cell (row-major, 6 x 18) that holds a brick in a class frame: every pixel coloured (bricks go whole). */
export function brickCells(frame: Uint8Array): Uint8Array {
  const full = new Uint8Array(BRICK_CELLS).fill(1);
  for (let y = BRICK_BAND[0]; y <= BRICK_BAND[1]; y++) {
    const o = y * FRAME_WIDTH;
    for (let x = FIELD_X[0]; x <= FIELD_X[1]; x++) if (frame[o + x] === 0) full[brickCell(x, y)] = 0;
  }
  return full;
}

/** The index in brickCells of the cell holding pixel (x, y) of the brick band, inside the side walls. */
export const brickCell = (x: number, y: number) => Math.floor((y - BRICK_BAND[0]) / BRICK_H) * BRICK_COLS + Math.floor((x - BRICK_LEFT) / BRICK_W);

/** The colour class of the brick row holding pixel row y of the brick band: red, orange, ... blue, from the top (the ball takes it there too). */
const brickRowClass = (y: number) => RED_CLASS + Math.floor((y - BRICK_BAND[0]) / BRICK_H);

/**
 * Draw each brick cell whole, in place: bricks go whole, but the decoder, scoring each pixel on its own,
 * may leave a brick with holes (which would read as a ball among the bricks, visibleBall) or half a
 * brick that went. A cell mostly coloured is filled in its row's colour; one mostly background that held
 * a brick in the last frame (`lastCells`, brickCells) is cleared. Other cells are left as they are: a
 * ball among the bricks shows in an empty cell.
 */
export function wholeBricks(frame: Uint8Array, lastCells: Uint8Array): void {
  for (let cell = 0; cell < BRICK_CELLS; cell++) {
    const row = Math.floor(cell / BRICK_COLS), y0 = BRICK_BAND[0] + row * BRICK_H, x0 = BRICK_LEFT + (cell % BRICK_COLS) * BRICK_W;
    let coloured = 0;
    for (let y = y0; y < y0 + BRICK_H; y++) for (let x = x0; x < x0 + BRICK_W; x++) if (frame[y * FRAME_WIDTH + x] !== 0) coloured++;
    const fill = 2 * coloured > BRICK_H * BRICK_W ? brickRowClass(y0) : lastCells[cell] === 1 ? 0 : -1;
    if (fill < 0) continue;
    for (let y = y0; y < y0 + BRICK_H; y++) frame.fill(fill, y * FRAME_WIDTH + x0, y * FRAME_WIDTH + x0 + BRICK_W);
  }
}

/** Whether pixel (x, y) of the brick band lies in a cell with no brick (per brickCells). */
const inEmptyCell = (cells: Uint8Array, x: number, y: number) => cells[brickCell(x, y)] === 0;

/**
 * Top-left corner of the ball wherever it shows (null when none does): red below or above the bricks, or
 * among them, where the game draws it in the row's colour: a coloured pixel in a cell with no brick.
 * (Inside a brick it is that brick's colour, so hidden.) The ball head reads and predicts these places.
 */
export function visibleBall(frame: Uint8Array): BallPlace | null {
  const cells = brickCells(frame);
  let x = Infinity, y = Infinity;
  for (let row = FIELD_BANDS[0][0]; row <= FIELD_BANDS[1][1]; row++) {
    const among = row >= BRICK_BAND[0] && row <= BRICK_BAND[1];
    if (!among && !RED_BALL_BANDS.some(([y0, y1]) => row >= y0 && row <= y1)) continue;
    const o = row * FRAME_WIDTH;
    for (let col = FIELD_X[0]; col <= FIELD_X[1]; col++) {
      const c = frame[o + col];
      if (among ? c !== 0 && inEmptyCell(cells, col, row) : c === RED_CLASS) { if (y === Infinity) y = row; if (col < x) x = col; }
    }
  }
  return y === Infinity ? null : { x, y };
}

/** What a ball's motion alone decides of its next top-left corner: x, y, both, or neither (null). */
export interface Flight { x: number | null; y: number | null }

const NO_FLIGHT: Flight = { x: null, y: null };
const inRange = (v: number, [lo, hi]: readonly [number, number]) => v >= lo && v <= hi;

/**
 * What the ball's places in the last frames (`balls`, consecutive, oldest first, null where none)
 * decide of its next one: one more step of its motion, in x while the last two places and the next are
 * clear of the side walls (FLIGHT_X) and above the paddle (bricks and the top wall turn only its y), in
 * y while they are clear of the bricks and the paddle (FLIGHT_Y; the side walls turn only its x). Each
 * holds in 99% or more of such steps in recorded games (README); a bounce between the last two places
 * would make their difference no velocity, hence all three places.
 */
export function ballFlight(balls: readonly (BallPlace | null)[]): Flight {
  const [older, before, last] = [balls.at(-3) ?? null, balls.at(-2) ?? null, balls.at(-1) ?? null];
  if (before === null || last === null) return NO_FLIGHT;
  const vx = last.x - before.x;
  let vy = last.y - before.y;
  if (Math.abs(vx) > BALL_REACH_X || vy === 0 || Math.abs(vy) > BALL_REACH_Y) return NO_FLIGHT;
  // A fast ball's vertical speed is fractional (13 and 14 px in turn): after a step a pixel off the one
  // before it, the next is like that one. Not from the bricks: a step that bounced there is a pixel short.
  const vyBefore = older === null ? 0 : before.y - older.y;
  if (older !== null && older.y >= FLIGHT_Y[0] && Math.sign(vyBefore) === Math.sign(vy) && Math.abs(vyBefore - vy) === 1) vy = vyBefore;
  const nx = last.x + vx, ny = last.y + vy;
  const xGoesOn = [before.x, last.x, nx].every((x) => inRange(x, FLIGHT_X)) && Math.max(before.y, last.y, ny) <= FLIGHT_Y[1];
  const yGoesOn = [before.y, last.y, ny].every((y) => inRange(y, FLIGHT_Y));
  return { x: xGoesOn ? nx : null, y: yGoesOn ? ny : null };
}

/** Mean of `redProb` over the ball's box at (x, y). */
function boxProb(redProb: Float32Array, x: number, y: number): number {
  let s = 0;
  for (let dy = 0; dy < BALL_H; dy++) { const p = (y + dy) * FRAME_WIDTH + x; s += redProb[p] + redProb[p + 1]; }
  return s / (BALL_W * BALL_H);
}

/**
 * Draw the ball once, in place: `redProb[p]` is the model's probability that pixel p is red and
 * `altClass[p]` its most likely other class (both read on the ball's field only); `balls` are the
 * ball's red places in the context frames (oldest first, null where none). On `predicted` (the ball
 * head's place, models/ball-head.ts) if that lies among the bricks (drawn in the rows' colours), or in
 * the field with any probability (BALL_KEPT_MIN_PROB), and nowhere if the head says 'gone' (hidden in a
 * brick or out at the bottom); following the head, the decoder's own ball is cleared from the cells that
 * held no brick in the last frame (`lastCells`, brickCells). Else, where its motion decides its next x or
 * y (ballFlight), on the best box on that line (within reach of the last place in the other coordinate)
 * if that has any probability; else, with a last place above BALL_STAYS_Y, on the best box within reach
 * of it; else on the best box of the field if it reaches `minProb`. These red boxes are never among the
 * bricks, where red is always wrong (BRICK_BAND). Returns the ball's top-left corner, or null when none
 * is drawn (the frame is left as it was but for red among the bricks).
 */
export function placeBall(
  frame: Uint8Array, redProb: Float32Array, altClass: Uint8Array, minProb = BALL_MIN_PROB, balls: readonly (BallPlace | null)[] = [],
  predicted: BallPlace | 'gone' | null = null, lastCells: Uint8Array | null = null,
): BallPlace | null {
  const last = balls.at(-1) ?? null;
  const reachX = (x: number): [number, number] => [x - BALL_REACH_X, x + BALL_REACH_X];
  const reachY = (y: number): [number, number] => [y - BALL_REACH_Y, y + BALL_REACH_Y];
  if (predicted === 'gone') { clearFieldRed(frame, altClass); clearAmongBricks(frame, lastCells); return null; }
  if (predicted !== null && amongBricks(predicted)) { clearAmongBricks(frame, lastCells); return drawBall(frame, altClass, predicted.x, predicted.y); }
  if (predicted !== null && placeable(predicted) && boxProb(redProb, predicted.x, predicted.y) >= BALL_KEPT_MIN_PROB) {
    clearAmongBricks(frame, lastCells);
    return drawBall(frame, altClass, predicted.x, predicted.y);
  }
  const flight = ballFlight(balls);
  if (last !== null && (flight.x !== null || flight.y !== null)) {
    // Exactly on the line: letting the model move it a pixel off it was worse on validation (README).
    const b = bestBox(redProb, flight.x !== null ? [flight.x, flight.x] : reachX(last.x), flight.y !== null ? [flight.y, flight.y] : reachY(last.y));
    if (b.prob >= BALL_KEPT_MIN_PROB) return drawBall(frame, altClass, b.x, b.y);
  }
  const stays = last !== null && last.y <= BALL_STAYS_Y;
  const b = stays ? bestBox(redProb, reachX(last.x), reachY(last.y)) : bestBox(redProb, [-Infinity, Infinity], [-Infinity, Infinity]);
  if (b.prob >= (stays ? BALL_KEPT_MIN_PROB : minProb)) return drawBall(frame, altClass, b.x, b.y);
  clearFieldRed(frame, altClass, BRICK_BAND);
  return null;
}

/**
 * Whether a ball can be drawn with its top-left corner here: its box in the ball's field, or, at the
 * bottom, its top row (a ball meeting the paddle shows its top rows above the paddle's: drawBall draws those).
 */
const placeable = ({ x, y }: BallPlace) => {
  const [upper, lower] = RED_BALL_BANDS;
  return x >= FIELD_X[0] && x + BALL_W - 1 <= FIELD_X[1] && ((y >= upper[0] && y + BALL_H - 1 <= upper[1]) || (y >= lower[0] && y <= lower[1]));
};

/** The ball's box of highest mean red probability with its top-left corner in the given ranges (and the field). */
function bestBox(redProb: Float32Array, [xLo, xHi]: readonly [number, number], [yLo, yHi]: readonly [number, number]): { prob: number; x: number; y: number } {
  let prob = -1, bx = 0, by = 0;
  for (const [y0, y1] of RED_BALL_BANDS) {
    for (let y = Math.max(y0, yLo); y + BALL_H - 1 <= y1 && y <= yHi; y++) {
      for (let x = Math.max(FIELD_X[0], xLo); x + BALL_W - 1 <= FIELD_X[1] && x <= xHi; x++) {
        const m = boxProb(redProb, x, y);
        if (m > prob) { prob = m; bx = x; by = y; }
      }
    }
  }
  return { prob, x: bx, y: by };
}

/** Give each red pixel of the ball's field (in the given rows) its best other class. */
function clearFieldRed(frame: Uint8Array, altClass: Uint8Array, [y0, y1]: readonly [number, number] = [0, FRAME_HEIGHT - 1]): void {
  for (let p = y0 * FRAME_WIDTH; p < (y1 + 1) * FRAME_WIDTH; p++) if (BALL_FIELD[p] && frame[p] === RED_CLASS) frame[p] = altClass[p];
}

/** Give each coloured pixel of the cells that held no brick in the last frame (`lastCells`, brickCells) the background: there it can only be a ball. */
function clearAmongBricks(frame: Uint8Array, lastCells: Uint8Array | null): void {
  if (lastCells === null) return;
  for (let y = BRICK_BAND[0]; y <= BRICK_BAND[1]; y++) {
    for (let x = FIELD_X[0]; x <= FIELD_X[1]; x++) if (inEmptyCell(lastCells, x, y)) frame[y * FRAME_WIDTH + x] = 0;
  }
}

/** Whether a ball with its top-left corner here shows among the bricks (its box reaches the brick band, inside the side walls). */
const amongBricks = ({ x, y }: BallPlace) => x >= FIELD_X[0] && x + BALL_W - 1 <= FIELD_X[1] && y <= BRICK_BAND[1] && y + BALL_H - 1 >= BRICK_BAND[0];

/**
 * Clear the field's red and draw the ball at (x, y): red on the field's rows, in the brick row's colour
 * among the bricks (where a brick stands, that is its own colour: the ball is hidden there).
 */
function drawBall(frame: Uint8Array, altClass: Uint8Array, x: number, y: number): BallPlace {
  clearFieldRed(frame, altClass);
  for (let dy = 0; dy < BALL_H; dy++) {
    const row = y + dy;
    const among = row >= BRICK_BAND[0] && row <= BRICK_BAND[1];
    for (let dx = 0; dx < BALL_W; dx++) {
      const p = row * FRAME_WIDTH + x + dx;
      if (among) frame[p] = brickRowClass(row);
      else if (BALL_FIELD[p]) frame[p] = RED_CLASS;
    }
  }
  return { x, y };
}

export interface PaddlePlace { left: number; width: number }

/** The paddle in a class frame: its left edge and width (16, or 8 once shrunk; 16 when it touches the right wall, under which it may hide), or null. */
export function lastPaddle(frame: Uint8Array): PaddlePlace | null {
  const row = PADDLE_Y[0] * FRAME_WIDTH;
  let x0 = -1, x1 = -1;
  for (let x = PADDLE_X[0]; x <= PADDLE_X[1]; x++) if (frame[row + x] === RED_CLASS) { if (x0 < 0) x0 = x; x1 = x; }
  if (x0 < 0) return null;
  return { left: x0, width: x1 === PADDLE_X[1] || x1 - x0 + 1 > SHRUNK_PADDLE_W ? PADDLE_W : SHRUNK_PADDLE_W };
}

/**
 * Draw the paddle once, as wide as `last` (the last frame's), within a step's reach of it, in place: on
 * the columns whose summed red log-odds (`redProb` as in placeBall, read on the paddle's lane) are
 * highest; other red in the lane gets `altClass`. Returns its left edge.
 */
export function placePaddle(frame: Uint8Array, redProb: Float32Array, altClass: Uint8Array, last: PaddlePlace, named: number | null = null): number {
  const width = last.width;
  const [x0, x1] = PADDLE_X;
  const lo = Math.max(x0, last.left - PADDLE_REACH), hi = Math.min(x1 + 1 - SHRUNK_PADDLE_W, last.left + PADDLE_REACH);
  const gain = new Float64Array(x1 + 2); // prefix sums of the columns' red log-odds
  for (let x = x0; x <= x1; x++) {
    let g = 0;
    for (let y = PADDLE_Y[0]; y <= PADDLE_Y[1]; y++) {
      const p = Math.min(Math.max(redProb[y * FRAME_WIDTH + x], 1e-6), 1 - 1e-6);
      g += Math.log(p / (1 - p));
    }
    gain[x + 1] = gain[x] + g;
  }
  let best = -Infinity, bx = x0;
  // Its left edge stops SHRUNK_PADDLE_W short of the right wall: at least that much always shows.
  for (let x = lo; x <= hi; x++) {
    const g = gain[Math.min(x + width, x1 + 1)] - gain[x];
    if (g > best) { best = g; bx = x; }
  }
  if (named !== null && named >= lo && named <= hi) bx = named;
  for (let y = PADDLE_Y[0]; y <= PADDLE_Y[1]; y++) {
    for (let x = x0; x <= x1; x++) {
      const p = y * FRAME_WIDTH + x;
      if (x >= bx && x < bx + width) frame[p] = RED_CLASS;
      else if (frame[p] === RED_CLASS) frame[p] = altClass[p];
    }
  }
  return bx;
}

/** Breakout's digits: 3x5 blocks of 4x2 pixels, '#' in the score grey; the last glyph is a blank cell. */
const GLYPHS = [
  '###/#.#/#.#/#.#/###', '.#./.#./.#./.#./.#.', '###/..#/###/#../###', '###/..#/.##/..#/###', '#.#/#.#/###/..#/..#',
  '###/#../###/..#/###', '#../#../###/#.#/###', '###/..#/..#/..#/..#', '###/#.#/###/#.#/###', '###/#.#/###/..#/..#',
  '.../.../.../.../...',
];
/** Left edges of the digit cells (the three score digits, the lives, the player number), their top row and size. */
const DIGIT_XS = [36, 52, 68, 100, 132];
const DIGIT_Y = 5;
const DIGIT_W = 12;
const DIGIT_H = 10;
const CELL_PIXELS = DIGIT_W * DIGIT_H;
/** The score band: the top rows, which hold the digit cells and nothing else. */
export const SCORE_ROWS = DIGIT_Y + DIGIT_H;

/** GLYPH_ON[g * CELL_PIXELS + k]: 1 where glyph g draws pixel k of a cell (row-major). */
const GLYPH_ON: Uint8Array = (() => {
  const on = new Uint8Array(GLYPHS.length * CELL_PIXELS);
  GLYPHS.forEach((g, i) => {
    const rows = g.split('/');
    for (let k = 0; k < CELL_PIXELS; k++) on[i * CELL_PIXELS + k] = rows[Math.floor(k / DIGIT_W / 2)][Math.floor((k % DIGIT_W) / 4)] === '#' ? 1 : 0;
  });
  return on;
})();

/** For each frame pixel, its index among the digit cells' pixels (cell-major), or -1. */
export const DIGIT_PIXEL: Int16Array = (() => {
  const idx = new Int16Array(FRAME_PIXELS).fill(-1);
  DIGIT_XS.forEach((x0, c) => {
    for (let k = 0; k < CELL_PIXELS; k++) idx[(DIGIT_Y + Math.floor(k / DIGIT_W)) * FRAME_WIDTH + x0 + (k % DIGIT_W)] = c * CELL_PIXELS + k;
  });
  return idx;
})();
export const DIGIT_PIXELS = DIGIT_XS.length * CELL_PIXELS;

/** The score's cells: the first three digit cells. */
const SCORE_CELLS = 3;
/** Pixels a brick going clears at least (of its 48; the model may clear part of one): a ball moving among the bricks clears 8. */
const BRICK_GONE_PIXELS = 16;

/** Whether a brick went between frames `a` and `b`: BRICK_GONE_PIXELS or more brick-row pixels that were coloured and are background. */
export function brickWent(a: Uint8Array, b: Uint8Array): boolean {
  let n = 0;
  for (let y = BRICK_BAND[0]; y <= BRICK_BAND[1]; y++) {
    for (let p = y * FRAME_WIDTH + FIELD_X[0], end = y * FRAME_WIDTH + FIELD_X[1]; p <= end; p++) if (a[p] !== 0 && b[p] === 0) n++;
  }
  return n >= BRICK_GONE_PIXELS;
}

/**
 * Draw each digit cell, in place, as the glyph of highest summed log-probability: `logBg[i]` and
 * `logGrey[i]` are the log-probabilities of background and grey at digit pixel i (DIGIT_PIXEL's order).
 * With `keepScore`, the score's cells are copied from that frame instead. Returns the chosen glyph per
 * cell (10 = blank; -1 for a kept cell).
 */
export function placeDigits(frame: Uint8Array, logBg: Float32Array, logGrey: Float32Array, keepScore: Uint8Array | null = null): number[] {
  return DIGIT_XS.map((x0, c) => {
    if (keepScore !== null && c < SCORE_CELLS) {
      for (let y = DIGIT_Y; y < DIGIT_Y + DIGIT_H; y++) for (let x = x0; x < x0 + DIGIT_W; x++) frame[y * FRAME_WIDTH + x] = keepScore[y * FRAME_WIDTH + x];
      return -1;
    }
    let best = 0, bestScore = -Infinity;
    for (let g = 0; g < GLYPHS.length; g++) {
      let score = 0;
      for (let k = 0, i = c * CELL_PIXELS, o = g * CELL_PIXELS; k < CELL_PIXELS; k++, i++, o++) score += GLYPH_ON[o] ? logGrey[i] : logBg[i];
      if (score > bestScore) { bestScore = score; best = g; }
    }
    for (let k = 0; k < CELL_PIXELS; k++) {
      frame[(DIGIT_Y + Math.floor(k / DIGIT_W)) * FRAME_WIDTH + x0 + (k % DIGIT_W)] = GLYPH_ON[best * CELL_PIXELS + k] ? GREY_CLASS : 0;
    }
    return best;
  });
}

/**
 * A Breakout frame from one sample of packed logits (sub-pixel i's 9 class logits at
 * `logits[offset + 9i ...]`, `pixelOf[i]` its frame pixel or -1 on padding), plus `prior[9 * last + c]`
 * where `lastCells[i]` is the sub-pixel's last class (the world model's class prior, when the logits
 * do not hold it yet), then the paddle and the ball placed once (after `context`, the context frames,
 * oldest first, and for `code`, the transition's latent code, which the paddle head reads) and the
 * digits drawn from the font.
 */
export function decodeBreakoutFrame(
  logits: ArrayLike<number>, offset: number, pixelOf: Int32Array, prior: Float32Array, lastCells: Int8Array, context: readonly Uint8Array[],
  heads: DecodeHeads = {}, code = -1,
): Uint8Array {
  if (NUM_CLASSES !== 9) throw new Error('decodeBreakoutFrame: unrolled for 9 classes');
  const frame = new Uint8Array(FRAME_HEIGHT * FRAME_WIDTH);
  const redProb = new Float32Array(FRAME_PIXELS);
  const altClass = new Uint8Array(FRAME_PIXELS);
  const logBg = new Float32Array(DIGIT_PIXELS);
  const logGrey = new Float32Array(DIGIT_PIXELS);
  for (let i = 0, o = offset; i < pixelOf.length; i++, o += 9) {
    const last = lastCells[i];
    if (last < 0) continue;
    const pr = last * 9;
    // Unrolled (the hottest JS of play); strictly greater, so ties go to the lowest class as in tf.argMax.
    let best = 0, bestV = logits[o] + prior[pr], x = 0;
    x = logits[o + 1] + prior[pr + 1]; if (x > bestV) { bestV = x; best = 1; }
    x = logits[o + 2] + prior[pr + 2]; if (x > bestV) { bestV = x; best = 2; }
    x = logits[o + 3] + prior[pr + 3]; if (x > bestV) { bestV = x; best = 3; }
    x = logits[o + 4] + prior[pr + 4]; if (x > bestV) { bestV = x; best = 4; }
    x = logits[o + 5] + prior[pr + 5]; if (x > bestV) { bestV = x; best = 5; }
    x = logits[o + 6] + prior[pr + 6]; if (x > bestV) { bestV = x; best = 6; }
    x = logits[o + 7] + prior[pr + 7]; if (x > bestV) { bestV = x; best = 7; }
    x = logits[o + 8] + prior[pr + 8]; if (x > bestV) { bestV = x; best = 8; }
    const p = pixelOf[i];
    frame[p] = best;
    const d = DIGIT_PIXEL[p];
    if (d >= 0) {
      let z = 0;
      for (let c = 0; c < 9; c++) z += Math.exp(logits[o + c] + prior[pr + c] - bestV);
      const logZ = bestV + Math.log(z);
      logBg[d] = logits[o] + prior[pr] - logZ;
      logGrey[d] = logits[o + GREY_CLASS] + prior[pr + GREY_CLASS] - logZ;
      continue;
    }
    if (!BALL_FIELD[p] && !PADDLE_LANE[p]) continue;
    altClass[p] = best;
    const red = logits[o + RED_CLASS] + prior[pr + RED_CLASS];
    if (red < bestV - 8) continue; // probability below e^-8: counts as 0
    let z = 0, alt = -1, altV = -Infinity;
    for (let c = 0; c < 9; c++) {
      const vc = logits[o + c] + prior[pr + c];
      z += Math.exp(vc - bestV);
      if (c !== RED_CLASS && vc > altV) { altV = vc; alt = c; }
    }
    redProb[p] = Math.exp(red - bestV) / z;
    altClass[p] = alt;
  }
  const n = context.length, last = context[n - 1];
  const lastBricks = brickCells(last);
  wholeBricks(frame, lastBricks);
  const paddle = lastPaddle(last);
  // The paddle first: the ball head reads where it went (the two are drawn on rows apart).
  const paddleLeft = paddle !== null ? placePaddle(frame, redProb, altClass, paddle, heads.paddle?.next(context, code) ?? null) : null;
  const balls = context.map(fieldBall);
  // The head follows the ball among the bricks too (visibleBall); the rules below it, the red ball only.
  const predicted = heads.ball?.next(context, context.map(visibleBall), paddleLeft) ?? null;
  placeBall(frame, redProb, altClass, BALL_MIN_PROB, balls, predicted, heads.ball ? lastBricks : null);
  const scoreMayChange = brickWent(last, frame) || (n > 1 && brickWent(context[n - 2], last));
  placeDigits(frame, logBg, logGrey, scoreMayChange ? null : last);
  return frame;
}

/** Frame pixel of each packed sub-pixel of a Breakout screen, -1 on padding rows (models/latent-action's layout). */
export const PIXEL_OF: Int32Array = (() => {
  const { paddedH, top } = padding({ height: FRAME_HEIGHT });
  const w4 = FRAME_WIDTH / 4;
  const out = new Int32Array((paddedH / 4) * w4 * 16).fill(-1);
  for (let y = 0; y < FRAME_HEIGHT; y++) {
    const py = y + top;
    for (let x = 0; x < FRAME_WIDTH; x++) out[((py >> 2) * w4 + (x >> 2)) * 16 + (py & 3) * 4 + (x & 3)] = y * FRAME_WIDTH + x;
  }
  return out;
})();

export const NO_PRIOR = new Float32Array(81);
export const REAL_CELLS = Int8Array.from(PIXEL_OF, (p) => (p < 0 ? -1 : 0));

/**
 * The predicted class frames of a batch of decoder logits (prior and keep bias included) after
 * `contexts` (each sample's context frames, oldest first): on a Breakout screen decoded as above, else
 * (other sizes, as in tests) the per-pixel argmax.
 */
export function decodeFrames(
  model: LatentActionModel, logits: tf.Tensor4D, contexts: readonly (readonly Uint8Array[])[], heads: DecodeHeads = {}, codes: ArrayLike<number> = [],
): Uint8Array[] {
  const cfg = model.config;
  if (cfg.height !== FRAME_HEIGHT || cfg.width !== FRAME_WIDTH || cfg.numClasses !== NUM_CLASSES) return model.argmaxFrames(logits);
  const data = logits.dataSync();
  const per = PIXEL_OF.length * NUM_CLASSES;
  return Array.from({ length: logits.shape[0] }, (_, i) => decodeBreakoutFrame(data, i * per, PIXEL_OF, NO_PRIOR, REAL_CELLS, contexts[i], heads, codes[i] ?? -1));
}
