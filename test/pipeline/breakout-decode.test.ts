import { describe, expect, it } from 'vitest';
import {
  BALL_FIELD, BALL_MIN_PROB, decodeBreakoutFrame, DIGIT_PIXEL, DIGIT_PIXELS, ballFlight, brickCells, fieldBall, lastPaddle, visibleBall, NO_PRIOR, PIXEL_OF, placeBall, placeDigits, placePaddle, REAL_CELLS, wholeBricks,
} from '../../pipeline/breakout-decode';
import { FRAME_PIXELS, FRAME_WIDTH, GREY_CLASS, RED_CLASS } from '../../pipeline/frame-classes';

const at = (x: number, y: number) => y * FRAME_WIDTH + x;
const BG = 0, WALL = 1, BLUE = 7;

/** The score's last digit cell (x 68-79, rows 5-14) drawn as a 3x5-block glyph like '###/..#/..#/..#/..#'. */
function drawDigit(frame: Uint8Array, glyph: string, x0 = 68): void {
  const rows = glyph.split('/');
  for (let y = 0; y < 10; y++) for (let x = 0; x < 12; x++) frame[at(x0 + x, 5 + y)] = rows[y >> 1][x >> 2] === '#' ? GREY_CLASS : BG;
}
const SEVEN = '###/..#/..#/..#/..#', ONE = '.#./.#./.#./.#./.#.';
/** A last frame with neither ball nor paddle. */
const NOTHING = new Uint8Array(FRAME_PIXELS);
/** A frame with a wall of blue bricks: before NOTHING, a brick went, so the score may change. */
const BRICKS = new Uint8Array(FRAME_PIXELS);
for (let y = 57; y <= 92; y++) BRICKS.fill(BLUE, y * FRAME_WIDTH + 8, y * FRAME_WIDTH + 152);


function redPixels(frame: Uint8Array): number[] {
  const out: number[] = [];
  frame.forEach((c, p) => { if (c === RED_CLASS) out.push(p); });
  return out;
}

function box(x: number, y: number): number[] {
  const out: number[] = [];
  for (let dy = 0; dy < 4; dy++) for (let dx = 0; dx < 2; dx++) out.push(at(x + dx, y + dy));
  return out.sort((a, b) => a - b);
}

describe('placeBall', () => {
  it('draws one 2x4 ball on the box of highest red probability and clears red fragments elsewhere in the field', () => {
    const frame = new Uint8Array(FRAME_PIXELS);
    const redProb = new Float32Array(FRAME_PIXELS);
    const alt = new Uint8Array(FRAME_PIXELS);
    // Two candidate places, 0.4 and 0.3 per pixel: the first wins; a stray red fragment elsewhere
    // (on a blue brick) goes back to blue; the paddle (rows 189-192) and the red brick row stay.
    for (const p of box(40, 120)) redProb[p] = 0.4;
    for (const p of box(60, 100)) redProb[p] = 0.3;
    frame[at(90, 88)] = RED_CLASS; alt[at(90, 88)] = BLUE;
    for (let x = 70; x < 86; x++) frame[at(x, 190)] = RED_CLASS;
    for (let x = 8; x < 152; x++) frame[at(x, 58)] = RED_CLASS;
    const before = frame.slice();
    expect(placeBall(frame, redProb, alt)).toEqual({ x: 40, y: 120 });
    expect(frame[at(90, 88)]).toBe(BLUE);
    const fieldRed = redPixels(frame).filter((p) => BALL_FIELD[p]);
    expect(fieldRed).toEqual(box(40, 120));
    for (let x = 70; x < 86; x++) expect(frame[at(x, 190)]).toBe(before[at(x, 190)]);
    for (let x = 8; x < 152; x++) expect(frame[at(x, 58)]).toBe(RED_CLASS);
  });

  it('draws nothing, and changes nothing, when no box reaches the minimum probability', () => {
    const frame = new Uint8Array(FRAME_PIXELS).fill(BG);
    frame[at(20, 20)] = WALL;
    const redProb = new Float32Array(FRAME_PIXELS);
    for (const p of box(50, 150)) redProb[p] = BALL_MIN_PROB / 2;
    const before = frame.slice();
    expect(placeBall(frame, redProb, new Uint8Array(FRAME_PIXELS))).toBeNull();
    expect(frame).toEqual(before);
  });
});

describe('placeBall after a frame with a ball', () => {
  const weakNear = () => {
    const redProb = new Float32Array(FRAME_PIXELS);
    for (const p of box(44, 110)) redProb[p] = BALL_MIN_PROB / 3; // within reach of (40, 100), below the minimum
    for (const p of box(120, 130)) redProb[p] = 0.9; // far out of reach
    return redProb;
  };

  it('keeps a ball well above the paddle: the best box within reach of the last, however unsure', () => {
    const frame = new Uint8Array(FRAME_PIXELS);
    expect(placeBall(frame, weakNear(), new Uint8Array(FRAME_PIXELS), BALL_MIN_PROB, [{ x: 40, y: 100 }])).toEqual({ x: 44, y: 110 });
    expect(fieldBall(frame)).toEqual({ x: 44, y: 110 });
  });

  it('lets a ball near the bottom go, as the game does (the field-wide rule applies)', () => {
    expect(placeBall(new Uint8Array(FRAME_PIXELS), weakNear(), new Uint8Array(FRAME_PIXELS), BALL_MIN_PROB, [{ x: 40, y: 180 }])).toEqual({ x: 120, y: 130 });
    const none = new Float32Array(FRAME_PIXELS);
    for (const p of box(44, 176)) none[p] = BALL_MIN_PROB / 3;
    expect(placeBall(new Uint8Array(FRAME_PIXELS), none, new Uint8Array(FRAME_PIXELS), BALL_MIN_PROB, [{ x: 40, y: 180 }])).toBeNull();
  });

  it('draws no red ball among the bricks (rows 57-92), where the game draws the ball in the row\'s colour, and clears red there', () => {
    const redProb = new Float32Array(FRAME_PIXELS);
    for (const p of box(70, 81)) redProb[p] = 0.9;
    const frame = new Uint8Array(FRAME_PIXELS);
    for (const p of box(70, 81)) frame[p] = RED_CLASS;
    expect(placeBall(frame, redProb, new Uint8Array(FRAME_PIXELS))).toBeNull();
    expect(frame.every((c) => c !== RED_CLASS)).toBe(true);
  });

  it('fieldBall finds the top-left red pixel of the field, not the paddle or the red bricks', () => {
    const frame = new Uint8Array(FRAME_PIXELS);
    for (let x = 70; x < 86; x++) frame[at(x, 190)] = RED_CLASS;
    for (let x = 8; x < 152; x++) frame[at(x, 58)] = RED_CLASS;
    expect(fieldBall(frame)).toBeNull();
    for (const p of box(33, 77)) frame[p] = RED_CLASS;
    expect(fieldBall(frame)).toEqual({ x: 33, y: 77 });
  });
});

describe('the ball among the bricks', () => {
  /** A wall of bricks (blue in every row, as BRICKS) with the cell of brick row `r`, column `c` knocked out. */
  const holed = (r: number, c: number) => {
    const f = Uint8Array.from(BRICKS);
    for (let y = 57 + 6 * r; y < 63 + 6 * r; y++) f.fill(BG, at(8 + 8 * c, y), at(16 + 8 * c, y));
    return f;
  };

  it('brickCells: 1 where a cell is whole, 0 where any of it is background', () => {
    const cells = brickCells(holed(4, 3));
    expect(cells.length).toBe(6 * 18);
    expect(Array.from(cells).filter((v) => v === 0)).toEqual([0]);
    expect(cells[4 * 18 + 3]).toBe(0);
  });

  it('visibleBall: the red ball, or a coloured ball in a cell with no brick (hidden inside a whole one)', () => {
    const f = holed(4, 3);
    expect(visibleBall(f)).toBeNull();
    for (const p of box(34, 82)) f[p] = 6; // in the knocked-out cell (x 32-39, rows 81-86), in the row's green
    expect(visibleBall(f)).toEqual({ x: 34, y: 82 });
    expect(fieldBall(f)).toBeNull();
    const red = Uint8Array.from(BRICKS);
    for (const p of box(50, 120)) red[p] = RED_CLASS;
    expect(visibleBall(red)).toEqual({ x: 50, y: 120 });
  });

  it("placeBall draws the head's place among the bricks in each row's colour, and clears the ball from cells that held no brick", () => {
    const last = holed(4, 3);
    for (const p of box(34, 82)) last[p] = 6;
    const frame = Uint8Array.from(last); // the decoder keeps the ball where it was
    expect(placeBall(frame, new Float32Array(FRAME_PIXELS), new Uint8Array(FRAME_PIXELS), BALL_MIN_PROB, [], { x: 36, y: 85 }, brickCells(last))).toEqual({ x: 36, y: 85 });
    expect(visibleBall(frame)).toEqual({ x: 36, y: 85 });
    // Rows 85-86 are the green row's, 87-88 the blue row's (inside a whole brick there: no change).
    expect([frame[at(36, 85)], frame[at(37, 86)], frame[at(36, 87)], frame[at(34, 82)]]).toEqual([6, 6, BLUE, BG]);
    const gone = Uint8Array.from(last);
    expect(placeBall(gone, new Float32Array(FRAME_PIXELS), new Uint8Array(FRAME_PIXELS), BALL_MIN_PROB, [], 'gone', brickCells(last))).toBeNull();
    expect(visibleBall(gone)).toBeNull();
  });
});

describe('wholeBricks', () => {
  const cellPixels = (f: Uint8Array, r: number, c: number) => {
    const out: number[] = [];
    for (let y = 57 + 6 * r; y < 63 + 6 * r; y++) for (let x = 8 + 8 * c; x < 16 + 8 * c; x++) out.push(f[at(x, y)]);
    return out;
  };

  it('fills a brick the decoder left with holes, in its row\'s colour, so the holes read as no ball', () => {
    const frame = Uint8Array.from(BRICKS);
    frame[at(40, 70)] = BG;
    frame[at(41, 71)] = BG;
    expect(visibleBall(frame)).not.toBeNull();
    wholeBricks(frame, brickCells(BRICKS));
    expect(cellPixels(frame, 2, 4)).toEqual(new Array(48).fill(RED_CLASS + 2));
    expect(visibleBall(frame)).toBeNull();
  });

  it('clears the rest of a brick that mostly went, and leaves a ball in a cell that held none', () => {
    const last = Uint8Array.from(BRICKS);
    for (let y = 81; y < 87; y++) last.fill(BG, at(32, y), at(40, y)); // cell (4, 3) empty
    const frame = Uint8Array.from(last);
    for (let y = 57; y < 63; y++) frame.fill(BG, at(8, y), at(14, y)); // 36 of cell (0, 0)'s 48 pixels gone
    for (const p of box(34, 82)) frame[p] = 6; // the ball in the empty cell, in the row's green
    wholeBricks(frame, brickCells(last));
    expect(cellPixels(frame, 0, 0)).toEqual(new Array(48).fill(BG));
    expect(visibleBall(frame)).toEqual({ x: 34, y: 82 });
    expect(Array.from(brickCells(frame)).filter((v) => v === 0).length).toBe(2);
  });
});

describe('placeBall with the ball head\'s place', () => {
  // A bounce off the paddle the flight rule does not decide: the model is of two minds (0.5 that the
  // ball went on down, 0.01 that it turned up); the head says it turned.
  const balls = [{ x: 60, y: 166 }, { x: 64, y: 176 }];
  const twoMinds = () => {
    const redProb = new Float32Array(FRAME_PIXELS);
    for (const p of box(68, 184)) redProb[p] = 0.5;
    for (const p of box(68, 166)) redProb[p] = 0.01;
    return redProb;
  };

  it("draws the ball on the head's place when the model gives it any probability", () => {
    const frame = new Uint8Array(FRAME_PIXELS);
    expect(placeBall(frame, twoMinds(), new Uint8Array(FRAME_PIXELS), BALL_MIN_PROB, balls, { x: 68, y: 166 })).toEqual({ x: 68, y: 166 });
    expect(redPixels(frame)).toEqual(box(68, 166));
  });

  it('ignores a place the model rules out or that leaves the field', () => {
    const alt = new Uint8Array(FRAME_PIXELS);
    expect(placeBall(new Uint8Array(FRAME_PIXELS), twoMinds(), alt, BALL_MIN_PROB, balls, { x: 90, y: 150 })).toEqual({ x: 68, y: 184 });
    expect(placeBall(new Uint8Array(FRAME_PIXELS), twoMinds(), alt, BALL_MIN_PROB, balls, { x: 151, y: 170 })).toEqual({ x: 68, y: 184 }); // into the wall
    const low = twoMinds();
    for (const p of box(68, 189)) low[p] = 0.9;
    expect(placeBall(new Uint8Array(FRAME_PIXELS), low, alt, BALL_MIN_PROB, balls, { x: 68, y: 189 })).toEqual({ x: 68, y: 184 }); // below the field
  });

  it("draws no ball where the head says it is gone (hidden inside a brick, or out at the bottom)", () => {
    const frame = new Uint8Array(FRAME_PIXELS);
    for (const p of box(68, 184)) frame[p] = RED_CLASS;
    const alt = new Uint8Array(FRAME_PIXELS).fill(BG);
    expect(placeBall(frame, twoMinds(), alt, BALL_MIN_PROB, balls, 'gone')).toBeNull();
    expect(fieldBall(frame)).toBeNull();
  });

  it("draws a ball meeting the paddle on the field's rows only, as its top rows show above the paddle", () => {
    const frame = new Uint8Array(FRAME_PIXELS);
    const redProb = twoMinds();
    for (const p of box(68, 187)) redProb[p] = 0.2;
    expect(placeBall(frame, redProb, new Uint8Array(FRAME_PIXELS), BALL_MIN_PROB, balls, { x: 68, y: 187 })).toEqual({ x: 68, y: 187 });
    expect(redPixels(frame)).toEqual([at(68, 187), at(69, 187), at(68, 188), at(69, 188)]);
    expect(fieldBall(frame)).toEqual({ x: 68, y: 187 });
  });

  it("comes before the ball's flight, which then decides where the head's place has no probability", () => {
    const flying = new Float32Array(FRAME_PIXELS);
    for (const p of box(64, 126)) flying[p] = 0.1;
    for (const p of box(60, 120)) flying[p] = 0.1;
    const alt = new Uint8Array(FRAME_PIXELS), inFlight = [{ x: 80, y: 100 }, { x: 72, y: 113 }];
    expect(placeBall(new Uint8Array(FRAME_PIXELS), flying, alt, BALL_MIN_PROB, inFlight, { x: 60, y: 120 })).toEqual({ x: 60, y: 120 });
    expect(placeBall(new Uint8Array(FRAME_PIXELS), flying, alt, BALL_MIN_PROB, inFlight, { x: 90, y: 120 })).toEqual({ x: 64, y: 126 });
  });
});

describe('a ball in flight', () => {
  it('flies on: one more step of its last motion, clear of the walls, the bricks and the paddle', () => {
    expect(ballFlight([{ x: 80, y: 100 }, { x: 72, y: 113 }])).toEqual({ x: 64, y: 126 });
    expect(ballFlight([{ x: 60, y: 160 }, { x: 64, y: 156 }])).toEqual({ x: 68, y: 152 });
  });

  it("keeps a fast ball's fractional speed: 13 and 14 px down in turn, as three places show", () => {
    expect(ballFlight([{ x: 100, y: 100 }, { x: 92, y: 113 }, { x: 84, y: 127 }])).toEqual({ x: 76, y: 140 });
    expect(ballFlight([{ x: 100, y: 100 }, { x: 92, y: 114 }, { x: 84, y: 128 }])).toEqual({ x: 76, y: 142 });
    expect(ballFlight([null, { x: 92, y: 113 }, { x: 84, y: 127 }])).toEqual({ x: 76, y: 141 });
  });

  it('decides only y at a side wall, only x at the bricks, and neither at the paddle', () => {
    expect(ballFlight([{ x: 24, y: 120 }, { x: 16, y: 128 }])).toEqual({ x: null, y: 136 });
    expect(ballFlight([{ x: 60, y: 110 }, { x: 64, y: 100 }])).toEqual({ x: 68, y: null });
    expect(ballFlight([{ x: 60, y: 166 }, { x: 64, y: 176 }])).toEqual({ x: null, y: null }); // next step reaches the paddle
    expect(ballFlight([{ x: 60, y: 185 }, { x: 64, y: 177 }])).toEqual({ x: null, y: null }); // bounced off it between the two
  });

  it('decides nothing without two places a step apart', () => {
    expect(ballFlight([null, { x: 64, y: 150 }])).toEqual({ x: null, y: null });
    expect(ballFlight([{ x: 40, y: 100 }, { x: 100, y: 150 }])).toEqual({ x: null, y: null }); // two balls, not one's motion
  });

  it("draws the ball on its line when the model gives that any probability, even against the model's favourite", () => {
    // The model's two minds about a fast ball: 0.6 that it turned back, 0.1 that it flew on.
    const redProb = new Float32Array(FRAME_PIXELS);
    for (const p of box(80, 126)) redProb[p] = 0.6;
    for (const p of box(64, 126)) redProb[p] = 0.1;
    const frame = new Uint8Array(FRAME_PIXELS);
    const balls = [{ x: 80, y: 100 }, { x: 72, y: 113 }];
    expect(placeBall(frame, redProb, new Uint8Array(FRAME_PIXELS), BALL_MIN_PROB, balls)).toEqual({ x: 64, y: 126 });
    expect(redPixels(frame)).toEqual(box(64, 126));
    // None on the line: the model is left to place it (best box within reach of the last).
    for (const p of box(64, 126)) redProb[p] = 0;
    expect(placeBall(new Uint8Array(FRAME_PIXELS), redProb, new Uint8Array(FRAME_PIXELS), BALL_MIN_PROB, balls)).toEqual({ x: 80, y: 126 });
  });

  it('at a side wall, lets the model say where across, on the row the ball reaches', () => {
    const redProb = new Float32Array(FRAME_PIXELS);
    for (const p of box(14, 140)) redProb[p] = 0.6; // the wrong row
    for (const p of box(12, 136)) redProb[p] = 0.2; // bounced, on the right row
    for (const p of box(9, 136)) redProb[p] = 0.1;
    expect(placeBall(new Uint8Array(FRAME_PIXELS), redProb, new Uint8Array(FRAME_PIXELS), BALL_MIN_PROB, [{ x: 24, y: 120 }, { x: 16, y: 128 }])).toEqual({ x: 12, y: 136 });
  });
});

describe('the paddle', () => {
  const paddle = (x0: number, w: number) => {
    const f = new Uint8Array(FRAME_PIXELS);
    for (let y = 189; y <= 192; y++) for (let x = x0; x < Math.min(x0 + w, 152); x++) f[at(x, y)] = RED_CLASS;
    return f;
  };

  it('lastPaddle: left edge and width 16, 8 once shrunk, 16 when it touches the right wall (it may be under it), null when absent', () => {
    expect(lastPaddle(paddle(40, 16))).toEqual({ left: 40, width: 16 });
    expect(lastPaddle(paddle(40, 8))).toEqual({ left: 40, width: 8 });
    expect(lastPaddle(paddle(144, 16))).toEqual({ left: 144, width: 16 });
    expect(lastPaddle(new Uint8Array(FRAME_PIXELS))).toBeNull();
  });

  it('placePaddle draws it whole where its columns are likeliest red, and clears other red in the lane', () => {
    // An eroded paddle: columns 140-151 surely red, 136-139 (its left end) only 60% likely; a stray
    // red pixel at x 60.
    const redProb = new Float32Array(FRAME_PIXELS);
    for (let y = 189; y <= 192; y++) {
      for (let x = 136; x < 152; x++) redProb[at(x, y)] = x < 140 ? 0.6 : 0.99;
    }
    const frame = paddle(140, 12);
    frame[at(60, 190)] = RED_CLASS;
    expect(placePaddle(frame, redProb, new Uint8Array(FRAME_PIXELS), { left: 140, width: 16 })).toBe(136);
    expect(frame).toEqual(paddle(136, 16));
  });

  it('placePaddle keeps it within a step\'s reach (32 px) of the last frame\'s paddle', () => {
    // The model erased the paddle at the left wall; the only likely red is the right wall's corner.
    const redProb = new Float32Array(FRAME_PIXELS);
    for (let y = 189; y <= 192; y++) for (let x = 140; x < 152; x++) redProb[at(x, y)] = 0.9;
    for (let y = 189; y <= 192; y++) for (let x = 8; x < 24; x++) redProb[at(x, y)] = 0.3;
    const frame = paddle(8, 16);
    expect(placePaddle(frame, redProb, new Uint8Array(FRAME_PIXELS), { left: 8, width: 16 })).toBe(8);
    expect(placePaddle(paddle(120, 16), redProb, new Uint8Array(FRAME_PIXELS), { left: 120, width: 16 })).toBe(140); // from 120 it can reach the corner (partly under the wall)
  });

  it("placePaddle draws it on the paddle head's place, when that is within a step's reach", () => {
    // The model is sure the paddle went 1 px short; the head names the place.
    const redProb = new Float32Array(FRAME_PIXELS);
    for (let y = 189; y <= 192; y++) for (let x = 48; x < 64; x++) redProb[at(x, y)] = 0.99;
    const frame = paddle(48, 16);
    expect(placePaddle(frame, redProb, new Uint8Array(FRAME_PIXELS), { left: 39, width: 16 }, 49)).toBe(49);
    expect(frame).toEqual(paddle(49, 16));
    expect(placePaddle(paddle(48, 16), redProb, new Uint8Array(FRAME_PIXELS), { left: 39, width: 16 }, 39 + 33)).toBe(48);
  });
});

describe('placeDigits', () => {
  it('draws each digit cell as its most likely glyph, never a mix of two', () => {
    // Per pixel, 7 is a little more likely than 1 where they differ, except on 1's middle column,
    // where 1 is: the per-pixel argmax is a fragment of both; the glyph drawn is a whole 7.
    const want7 = new Uint8Array(FRAME_PIXELS), want1 = new Uint8Array(FRAME_PIXELS);
    drawDigit(want7, SEVEN); drawDigit(want1, ONE);
    const logBg = new Float32Array(DIGIT_PIXELS).fill(Math.log(0.99)), logGrey = new Float32Array(DIGIT_PIXELS).fill(Math.log(0.01));
    for (let p = 0; p < FRAME_PIXELS; p++) {
      const i = DIGIT_PIXEL[p];
      if (i < 0 || want7[p] === want1[p]) { if (i >= 0 && want7[p] === GREY_CLASS) { logGrey[i] = Math.log(0.99); logBg[i] = Math.log(0.01); } continue; }
      const pGrey = want7[p] === GREY_CLASS ? 0.6 : 0.45;
      logGrey[i] = Math.log(pGrey); logBg[i] = Math.log(1 - pGrey);
    }
    const frame = new Uint8Array(FRAME_PIXELS);
    const glyphs = placeDigits(frame, logBg, logGrey);
    expect(glyphs).toEqual([10, 10, 7, 10, 10]);
    expect(frame).toEqual(want7);
  });
});

describe('decodeBreakoutFrame', () => {
  /** Packed logits (9 classes per sub-pixel) from per-pixel class scores. */
  function packedLogits(score: (pixel: number, c: number) => number): Float32Array {
    const out = new Float32Array(PIXEL_OF.length * 9);
    PIXEL_OF.forEach((p, i) => { if (p >= 0) for (let c = 0; c < 9; c++) out[i * 9 + c] = score(p, c); });
    return out;
  }

  it('is the per-pixel argmax where no ball is in question', () => {
    // Any class but red (the ball) anywhere but the digit cells, which hold a whole 7, and the bricks, whole.
    const truth = new Uint8Array(FRAME_PIXELS).map((_, p) => (DIGIT_PIXEL[p] >= 0 || (p * 7919) % 9 === RED_CLASS ? BG : (p * 7919) % 9));
    drawDigit(truth, SEVEN);
    for (let y = 57; y <= 92; y++) truth.fill(RED_CLASS + Math.floor((y - 57) / 6), at(8, y), at(152, y));
    const logits = packedLogits((p, c) => (c === truth[p] ? 10 : 0));
    expect(decodeBreakoutFrame(logits, 0, PIXEL_OF, NO_PRIOR, REAL_CELLS, [BRICKS, NOTHING])).toEqual(truth);
  });

  it('draws a brick the model leaves with holes whole', () => {
    const holed = Uint8Array.from(BRICKS);
    holed[at(40, 70)] = BG;
    const frame = decodeBreakoutFrame(packedLogits((p, c) => (c === holed[p] ? 10 : 0)), 0, PIXEL_OF, NO_PRIOR, REAL_CELLS, [BRICKS, BRICKS]);
    expect(frame[at(40, 70)]).toBe(RED_CLASS + 2);
    expect(visibleBall(frame)).toBeNull();
  });

  it('draws a half-drawn digit as a whole glyph', () => {
    // The last frame shows 1; the logits lean towards 7 on 70% of the pixels where 7 and 1 differ
    // and towards 1 on the rest, so a per-pixel argmax would draw a fragment of both: a whole 7 it is.
    const last = new Uint8Array(FRAME_PIXELS), seven = new Uint8Array(FRAME_PIXELS);
    drawDigit(last, ONE); drawDigit(seven, SEVEN);
    let k = 0;
    const lean = new Uint8Array(FRAME_PIXELS).map((_, p) => (seven[p] !== last[p] && k++ % 10 < 7 ? seven[p] : last[p]));
    const frame = decodeBreakoutFrame(packedLogits((p, c) => (c === lean[p] ? 3 : 0)), 0, PIXEL_OF, NO_PRIOR, REAL_CELLS, [BRICKS, last]);
    const cell = (f: Uint8Array) => Array.from(f).filter((_, p) => DIGIT_PIXEL[p] >= 0);
    expect(cell(lean)).not.toEqual(cell(seven));
    expect(cell(frame)).toEqual(cell(seven));
  });

  it('changes the score only in the step a brick goes or the next', () => {
    // The last frame shows 1 and the model says 7.
    const last = new Uint8Array(FRAME_PIXELS), seven = new Uint8Array(FRAME_PIXELS);
    drawDigit(last, ONE); drawDigit(seven, SEVEN);
    const cell = (f: Uint8Array) => Array.from(f).filter((_, p) => DIGIT_PIXEL[p] >= 0);
    const decode = (context: Uint8Array[], score: (p: number, c: number) => number) =>
      decodeBreakoutFrame(packedLogits(score), 0, PIXEL_OF, NO_PRIOR, REAL_CELLS, context);
    const says7 = (p: number, c: number) => (c === seven[p] ? 3 : 0);
    // No brick went: the score stays 1.
    expect(cell(decode([NOTHING, last], says7))).toEqual(cell(last));
    // A brick went a step before (the point shows a step late): 7.
    const lastWithBricks = last.slice();
    for (let y = 57; y <= 92; y++) lastWithBricks.fill(BLUE, y * FRAME_WIDTH + 8, y * FRAME_WIDTH + 152);
    expect(cell(decode([lastWithBricks, last], says7))).toEqual(cell(seven));
    // A brick goes in this step: 7.
    const brickGoes = (p: number, c: number) => (DIGIT_PIXEL[p] >= 0 ? says7(p, c) : c === (lastWithBricks[p] === BLUE && p % FRAME_WIDTH >= 16 ? BLUE : BG) ? 3 : 0);
    expect(cell(decode([lastWithBricks, lastWithBricks], brickGoes))).toEqual(cell(seven));
  });

  it('draws a ball whose place is uncertain once, where argmax alone would draw none', () => {
    // Two places each 40% likely to hold the ball (background 60%): argmax draws neither.
    const a = new Set(box(30, 140)), b = new Set(box(34, 148));
    const redLogit = (p: number) => (a.has(p) ? Math.log(0.41 / 0.59) : b.has(p) ? Math.log(0.4 / 0.6) : -20);
    const logits = packedLogits((p, c) => (c === BG ? 0 : c === RED_CLASS ? redLogit(p) : -20));
    const frame = decodeBreakoutFrame(logits, 0, PIXEL_OF, NO_PRIOR, REAL_CELLS, [NOTHING]);
    expect(redPixels(frame)).toEqual(box(30, 140));
  });

  it('adds the class prior of each sub-pixel\'s last class before deciding', () => {
    // Logits favour background by 10 everywhere; a prior of +11 for keeping blue keeps the blue pixels.
    const prior = new Float32Array(81);
    prior[BLUE * 9 + BLUE] = 11;
    // (Outside the digit cells, which only ever hold grey glyphs.)
    const blue = (p: number) => p % 3 === 0 && DIGIT_PIXEL[p] < 0;
    const lastCells = Int8Array.from(PIXEL_OF, (p) => (p < 0 ? -1 : blue(p) ? BLUE : BG));
    const logits = packedLogits((_, c) => (c === BG ? 10 : 0));
    const expected = new Uint8Array(FRAME_PIXELS).map((_, p) => (blue(p) ? BLUE : BG));
    expect(decodeBreakoutFrame(logits, 0, PIXEL_OF, prior, lastCells, [NOTHING])).toEqual(expected);
  });
});
