// Hand-made Breakout-like RGB screens (210x160x3) for metric and dataset tests: grey walls, a brick
// row, a red paddle in rows 189-192 and a 2x4 red ball.
export const W = 160, H = 210;
const GREY = [142, 142, 142], RED = [200, 72, 72], BLUE = [66, 72, 200];

function fill(f: Uint8Array, y0: number, y1: number, x0: number, x1: number, c: number[]): void {
  for (let y = y0; y <= y1; y++) for (let x = x0; x <= x1; x++) f.set(c, (y * W + x) * 3);
}

export interface Scene { paddleX: number; ball?: { x: number; y: number }; bricks?: boolean }

/** paddleX: left column of the 16-px paddle; ball: top-left of the 2x4 ball. */
export function drawScene(s: Scene): Uint8Array {
  const f = new Uint8Array(W * H * 3);
  fill(f, 17, 31, 0, 159, GREY);
  fill(f, 32, 195, 0, 7, GREY);
  fill(f, 32, 195, 152, 159, GREY);
  if (s.bricks !== false) fill(f, 57, 62, 8, 151, RED), fill(f, 87, 92, 8, 151, BLUE);
  fill(f, 189, 192, s.paddleX, s.paddleX + 15, RED);
  if (s.ball) fill(f, s.ball.y, s.ball.y + 3, s.ball.x, s.ball.x + 1, RED);
  return f;
}
