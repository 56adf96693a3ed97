/**
 * A person plays the real Breakout (our emulator) in the terminal: arrows move the paddle, space
 * fires, q/Esc quits. One emulated frame per tick at 60 frames/s, drawn with half blocks.
 */
import { AtariEnv } from '../atari/env';
import { drawFrame, fitLayout, HeldKeys, tooSmallMessage, wrapText } from './terminal';
import { runTerminalLoop } from './terminal-loop';

export interface PlayRealOptions {
  rom: Uint8Array;
  /** Emulated frames per second (the console's own rate is 60). */
  fps: number;
  /** Sticky-action probability (0 for people: a pressed key always acts). */
  repeatActionProbability: number;
  mode: number;
  difficulty: number;
  seed: number;
  /** How long a key counts as held after each press or auto-repeat, in ms. */
  holdMs: number;
  /** Stop after this many frames (0 = play until q). */
  maxFrames: number;
}

export interface PlayRealResult {
  frames: number;
  episodes: number;
  bestScore: number;
}

// ALE action ids (the full action set is 0..17 in this order).
const NOOP = 0;
const FIRE = 1;
const RIGHT = 3;
const LEFT = 4;
const RIGHTFIRE = 11;
const LEFTFIRE = 12;

/** The ALE action for the keys held now. */
export function actionForKeys(left: boolean, right: boolean, fire: boolean): number {
  if (left && !right) return fire ? LEFTFIRE : LEFT;
  if (right && !left) return fire ? RIGHTFIRE : RIGHT;
  return fire ? FIRE : NOOP;
}

const WHITE = 0xffffff;
const GREY = 0x9a9a9a;
const YELLOW = 0xffd75f;

export async function playReal(opts: PlayRealOptions): Promise<PlayRealResult> {
  // RAM observations keep step() cheap; the screen is read into one reused buffer instead.
  const env = new AtariEnv(opts.rom, {
    obsType: 'ram',
    frameSkip: 1,
    repeatActionProbability: opts.repeatActionProbability,
    fullActionSpace: true,
    mode: opts.mode,
    difficulty: opts.difficulty,
  });
  const rgb = new Uint8Array(210 * 160 * 3);
  let { info } = env.reset({ seed: opts.seed });
  env.screenRGB(rgb);

  const held = new HeldKeys(opts.holdMs);
  let restart = false;
  let gameOver = false;
  let paused = false;

  const result: PlayRealResult = { frames: 0, episodes: 1, bestScore: 0 };
  let score = 0;
  let scratch: Int32Array | undefined;

  await runTerminalLoop({
    fps: opts.fps,
    onKey: (event, now) => {
      if (event.key === 'other' && event.char === 'p' && event.type === 'press') paused = !paused;
      else if (gameOver && event.key === 'space' && event.type === 'press') restart = true;
      else held.handle(event, now);
    },
    tick: (now) => {
      if (restart) {
        restart = false;
        gameOver = false;
        score = 0;
        held.releaseAll();
        ({ info } = env.reset());
        env.screenRGB(rgb);
        result.episodes++;
      } else if (!gameOver && !paused) {
        const action = actionForKeys(held.isHeld('left', now), held.isHeld('right', now), held.isHeld('space', now));
        const step = env.step(env.actionSet.indexOf(action));
        score += step.reward;
        info = step.info;
        result.frames++;
        result.bestScore = Math.max(result.bestScore, score);
        if (step.terminated || step.truncated) gameOver = true;
        env.screenRGB(rgb);
        if (opts.maxFrames > 0 && result.frames >= opts.maxFrames) return 'quit';
      }
    },
    draw: (grid, fps) => {
      const { cols, rows } = grid;
      const layout = fitLayout(cols, rows, { reservedRows: 2 });
      if (!layout.fits) {
        const msg = tooSmallMessage(cols, rows, layout.needCols, layout.needRows);
        const lines = wrapText(msg, Math.max(1, cols));
        lines.forEach((line, i) => grid.text(0, Math.floor((rows - lines.length) / 2) + i, line, YELLOW));
        return;
      }
      if (!scratch || scratch.length !== layout.cols * layout.rows * 2) scratch = new Int32Array(layout.cols * layout.rows * 2);
      drawFrame(grid, rgb, layout.x, layout.y, layout.cols, layout.rows, 160, 210, scratch);
      const status = gameOver
        ? `GAME OVER  score ${score}   space: play again   q: quit`
        : `BREAKOUT  score ${score}  lives ${info.lives}  frame ${info.episodeFrameNumber}  ${fps} fps${paused ? '  PAUSED' : ''}`;
      grid.text(layout.x, layout.rows, status.slice(0, cols - layout.x), gameOver ? YELLOW : WHITE);
      grid.text(layout.x, layout.rows + 1, '←/→ move  space fire  p pause  q quit'.slice(0, cols - layout.x), GREY);
    },
  });
  return result;
}
