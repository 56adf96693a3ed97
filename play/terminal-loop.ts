/**
 * The real-time loop both terminal players share: keyboard and screen started and always restored,
 * q/Esc/Ctrl-C quit, a repaint after a resize, one tick at a fixed rate, and the measured rate for
 * the status line. What a tick does and what it draws is the player's business.
 */
import { FpsCounter, FramePacer } from './pacing';
import { CellGrid, type KeyEvent, Keyboard, TerminalScreen } from './terminal';

export interface TerminalLoopOptions {
  /** Ticks per second. */
  fps: number;
  /** Every key event except the quit keys, with the time it arrived (performance.now()). */
  onKey(event: KeyEvent, nowMs: number): void;
  /** One tick of the game at `nowMs`; 'quit' ends the loop after this tick is drawn. */
  tick(nowMs: number): 'quit' | void;
  /** Draws the game into `grid` (terminal-sized, already cleared); `fps` is the measured tick rate. */
  draw(grid: CellGrid, fps: number): void;
}

export async function runTerminalLoop(opts: TerminalLoopOptions): Promise<void> {
  const screen = new TerminalScreen();
  const keyboard = new Keyboard();
  let quit = false;
  keyboard.start((event) => {
    if (event.key === 'q' || event.key === 'escape' || event.key === 'ctrl-c') quit = true;
    else opts.onKey(event, performance.now());
  });
  screen.start();
  const onResize = () => screen.invalidate();
  process.stdout.on('resize', onResize);

  let grid = new CellGrid(1, 1);
  const fps = new FpsCounter(performance.now());
  try {
    const pacer = new FramePacer(1000 / opts.fps, performance.now());
    while (!quit) {
      const now = performance.now();
      if (opts.tick(now) === 'quit') quit = true;
      const shown = fps.tick(now);
      if (grid.cols !== screen.cols || grid.rows !== screen.rows) grid = new CellGrid(screen.cols, screen.rows);
      grid.clear();
      opts.draw(grid, shown);
      screen.draw(grid);
      const wait = pacer.wait(performance.now());
      await new Promise<void>((resolve) => setTimeout(resolve, wait));
    }
  } finally {
    process.stdout.off('resize', onResize);
    keyboard.stop();
    screen.stop();
  }
}
