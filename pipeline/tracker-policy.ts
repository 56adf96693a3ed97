// Scripted Breakout players for varied training data before (or besides) the DQN agent:
//  - TrackerPolicy moves the paddle to where the falling ball will reach it, from RAM, so games last
//    and reach later states (fewer bricks, faster ball, higher scores), with a share of random actions
//    held for a few steps;
//  - HeldRandomPolicy holds a random action for 1..30 steps and presses FIRE after a life is lost,
//    like the wm-eval-sample `traj-held` player (lots of paddle motion, many lost lives).
// Actions are indices into Breakout's minimal set: 0 NOOP, 1 FIRE, 2 RIGHT, 3 LEFT.
import { seededRandom, type Policy, type PolicyObservation } from './policy';

const NOOP = 0, FIRE = 1, RIGHT = 2, LEFT = 3;
/** RAM bytes (checked against the wm-eval-sample screens): ball x = ram[99] - 48, paddle centre ≈ ram[72] - 39. */
const RAM_BALL_X = 99, RAM_BALL_Y = 101, RAM_PADDLE_X = 72;

export function ramBallX(ram: Uint8Array): number { return ram[RAM_BALL_X] - 48; }
export function ramPaddleX(ram: Uint8Array): number { return ram[RAM_PADDLE_X] - 39; }
/** The ball is in play when its y byte is non-zero. */
export function ramBallInPlay(ram: Uint8Array): boolean { return ram[RAM_BALL_Y] !== 0; }

/** The ball's y byte when it reaches the paddle's row (screen row 189 = byte + 10), and its x range between the walls. */
const PADDLE_ROW_Y = 179, BALL_X_MIN = 8, BALL_X_MAX = 150;

/**
 * Where a ball at (x, y) moving (vx, vy) per step will cross the paddle's row, reflected off the side
 * walls; null when it is rising. Bricks may turn it back first: then the tracker just re-aims.
 */
export function landingX(x: number, y: number, vx: number, vy: number): number | null {
  if (vy <= 0) return null;
  let px = x + (vx * (PADDLE_ROW_Y - y)) / vy;
  for (let k = 0; k < 4 && (px < BALL_X_MIN || px > BALL_X_MAX); k++) px = px < BALL_X_MIN ? 2 * BALL_X_MIN - px : 2 * BALL_X_MAX - px;
  return px;
}

export interface TrackerOptions {
  /** Share of steps that start a random action (held for 1..8 steps). */
  randomShare: number;
  /** Paddle-to-ball distance within which the tracker rests (pixels). */
  deadZone: number;
  /**
   * Where the tracker takes the paddle to be heading. 'velocity': its place plus its last step, as the
   * recordings up to tracker3-60 were played; a held move is about 22 px a step, so this overshoots and
   * the paddle swings about its target. 'settle': where it comes to rest if released now (its place, plus
   * the ~10 px a move pressed last step still carries it), so it stops under the ball.
   */
  lead: 'velocity' | 'settle';
}

/** How far a move pressed in the last step still carries the paddle (measured: 9-12 px; frame skip 4). */
const PRESS_CARRY = 10;

export class TrackerPolicy implements Policy {
  readonly name: string;
  private rng: () => number;
  private held = 0;
  private heldAction = NOOP;
  /** Aim off the paddle centre by this much (varied per life, so the ball leaves at varied angles). */
  private aim = 0;
  private lives = -1;
  /** Last step's ball (x, y) and paddle x, for their velocities. */
  private lastBall: [number, number] | null = null;
  private lastPaddle: number | null = null;
  private lastAction = NOOP;

  constructor(private readonly opts: TrackerOptions = { randomShare: 0.1, deadZone: 4, lead: 'velocity' }, seed = 0) {
    this.name = `tracker(random=${opts.randomShare}${opts.lead === 'settle' ? ', settle' : ''})`;
    this.rng = seededRandom(seed);
  }

  reset(seed: number): void {
    this.rng = seededRandom(seed ^ 0x7ac6);
    this.held = 0;
    this.lives = -1;
    this.lastBall = null;
    this.lastPaddle = null;
    this.lastAction = NOOP;
  }

  act(obs: PolicyObservation): number {
    const action = this.choose(obs);
    this.lastAction = action;
    return action;
  }

  private choose(obs: PolicyObservation): number {
    if (obs.lives !== this.lives) { this.lives = obs.lives; this.aim = Math.round((this.rng() - 0.5) * 8); }
    const paddle = ramPaddleX(obs.ram);
    const paddleV = this.lastPaddle === null ? 0 : paddle - this.lastPaddle;
    this.lastPaddle = paddle;
    const inPlay = ramBallInPlay(obs.ram);
    const ball: [number, number] = [ramBallX(obs.ram), obs.ram[RAM_BALL_Y]];
    const last = this.lastBall;
    this.lastBall = inPlay ? ball : null;
    if (this.held > 0) { this.held--; return this.heldAction; }
    if (this.rng() < this.opts.randomShare) {
      this.heldAction = Math.floor(this.rng() * 4);
      this.held = Math.floor(this.rng() * 8);
      return this.heldAction;
    }
    if (!inPlay) return this.rng() < 0.5 ? FIRE : NOOP;
    // At frame skip 4 a fast ball crosses the screen in a few steps: following it arrives too late.
    const target = (last && landingX(ball[0], ball[1], ball[0] - last[0], ball[1] - last[1])) ?? ball[0];
    // The paddle lags its controller and keeps moving for a while: aim from where it is heading.
    const carry = this.lastAction === RIGHT ? PRESS_CARRY : this.lastAction === LEFT ? -PRESS_CARRY : 0;
    const d = target + this.aim - (paddle + (this.opts.lead === 'settle' ? carry : paddleV));
    if (d > this.opts.deadZone) return RIGHT;
    if (d < -this.opts.deadZone) return LEFT;
    return NOOP;
  }
}

export class HeldRandomPolicy implements Policy {
  readonly name = 'held-random(1..30)';
  private rng: () => number;
  private held = 0;
  private action = NOOP;
  private lives = -1;

  constructor(seed = 0) {
    this.rng = seededRandom(seed);
  }

  reset(seed: number): void {
    this.rng = seededRandom(seed ^ 0x4e1d);
    this.held = 0;
    this.lives = -1;
  }

  act(obs: PolicyObservation): number {
    const lostLife = this.lives !== -1 && obs.lives < this.lives;
    const first = this.lives === -1;
    this.lives = obs.lives;
    if (first || lostLife) { this.held = 0; return FIRE; }
    if (this.held <= 0) {
      this.action = Math.floor(this.rng() * 4);
      this.held = 1 + Math.floor(this.rng() * 30);
    }
    this.held--;
    return this.action;
  }
}
