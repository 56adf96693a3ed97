// A small deterministic stand-in for the Breakout environment, with the same surface the recorder
// uses (reset/step/screenRGB/getRAM). Its frames look like Breakout's: mostly black, grey walls,
// six coloured brick bands, a red paddle and ball, so video sizes and decode speeds are realistic.
import { seededRandom, type EnvLike, type StepResult } from '../../pipeline/policy';

const W = 160;
const H = 210;
const BANDS: [number, number, number][] = [
  [200, 72, 72],
  [198, 108, 58],
  [180, 122, 48],
  [162, 162, 42],
  [72, 160, 72],
  [66, 72, 200],
];
const GREY: [number, number, number] = [142, 142, 142];
const RED: [number, number, number] = [200, 72, 72];

export class FakeBreakoutEnv implements EnvLike {
  readonly actionNames = ['NOOP', 'FIRE', 'RIGHT', 'LEFT'];
  readonly ale = { getRAM: () => this.ram };
  private ram = new Uint8Array(128);
  private bricks = new Uint8Array(6 * 18);
  private paddle = 72;
  private ball: { x: number; y: number; dx: number; dy: number } | undefined;
  private lives = 5;
  private frame = 0;
  private episodeFrame = 0;
  private score = 0;
  private rng = seededRandom(0);

  constructor(private readonly opts: { frameSkip?: number; maxLives?: number } = {}) {}

  reset(opts: { seed?: number } = {}): { observation: Uint8Array; info: { lives: number; frameNumber: number; episodeFrameNumber: number } } {
    this.rng = seededRandom(opts.seed ?? 0);
    this.bricks.fill(1);
    this.paddle = 60 + Math.floor(this.rng() * 40);
    this.ball = undefined;
    this.lives = this.opts.maxLives ?? 5;
    this.episodeFrame = 0;
    this.score = 0;
    this.syncRam();
    return { observation: this.screenRGB(), info: this.info() };
  }

  private info() {
    return { lives: this.lives, frameNumber: this.frame, episodeFrameNumber: this.episodeFrame };
  }

  private syncRam(): void {
    this.ram[0] = this.paddle;
    this.ram[1] = this.ball?.x ?? 0;
    this.ram[2] = this.ball?.y ?? 0;
    this.ram[3] = this.lives;
    this.ram[4] = this.score & 0xff;
  }

  step(action: number): StepResult {
    let reward = 0;
    for (let i = 0; i < (this.opts.frameSkip ?? 4); i++) {
      this.frame++;
      this.episodeFrame++;
      if (action === 2) this.paddle = Math.min(136, this.paddle + 3);
      if (action === 3) this.paddle = Math.max(8, this.paddle - 3);
      if (action === 1 && !this.ball) this.ball = { x: this.paddle + 8, y: 120, dx: this.rng() < 0.5 ? -1 : 1, dy: 2 };
      const b = this.ball;
      if (!b) continue;
      b.x += b.dx;
      b.y += b.dy;
      if (b.x <= 8 || b.x >= 150) b.dx = -b.dx;
      if (b.y <= 32) b.dy = Math.abs(b.dy);
      const row = Math.floor((b.y - 57) / 6);
      const col = Math.floor((b.x - 8) / 8);
      if (row >= 0 && row < 6 && col >= 0 && col < 18 && this.bricks[row * 18 + col]) {
        this.bricks[row * 18 + col] = 0;
        reward += [7, 7, 4, 4, 1, 1][row]!;
        b.dy = -b.dy;
      }
      if (b.y >= 187 && b.y <= 190 && b.x >= this.paddle - 1 && b.x <= this.paddle + 16) b.dy = -Math.abs(b.dy);
      if (b.y > 196) {
        this.ball = undefined;
        this.lives--;
        if (this.lives <= 0) break;
      }
    }
    this.score += reward;
    this.syncRam();
    return { observation: this.screenRGB(), reward, terminated: this.lives <= 0, truncated: false, info: this.info() };
  }

  screenRGB(): Uint8Array {
    const out = new Uint8Array(W * H * 3);
    const fill = (x0: number, y0: number, w: number, h: number, c: [number, number, number]) => {
      for (let y = Math.max(0, y0); y < Math.min(H, y0 + h); y++)
        for (let x = Math.max(0, x0); x < Math.min(W, x0 + w); x++) out.set(c, (y * W + x) * 3);
    };
    fill(8, 17, 144, 15, GREY);
    fill(0, 17, 8, 179, GREY);
    fill(152, 17, 8, 179, GREY);
    for (let r = 0; r < 6; r++) for (let c = 0; c < 18; c++) if (this.bricks[r * 18 + c]) fill(8 + c * 8, 57 + r * 6, 8, 6, BANDS[r]!);
    // Score and lives as blocky digits, so they change like the real ones.
    const digits = String(this.score).padStart(3, '0') + String(this.lives);
    [...digits].forEach((d, i) => {
      const v = Number(d);
      for (let k = 0; k < 5; k++) if ((v >> (k % 4)) & 1 || k === 4) fill(36 + i * 16 + (k % 2) * 4, 5 + Math.floor(k / 2) * 3, 4, 3, GREY);
    });
    fill(this.paddle, 189, 16, 4, RED);
    if (this.ball) fill(this.ball.x, this.ball.y, 2, 4, RED);
    return out;
  }
}
