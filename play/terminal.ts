/**
 * Terminal rendering and keyboard input for the players (`play:real` and the neural `play`).
 *
 * Pictures are drawn with truecolor half blocks: each text cell shows two pixels, '▀' with the
 * foreground colour = upper pixel and the background colour = lower pixel. A frame is first
 * composed into a `CellGrid` (pure), then `renderDiff` turns the difference to the previous grid
 * into an ANSI string that only rewrites the cells that changed (pure, testable). `TerminalScreen`
 * and `Keyboard` are the thin side-effect layer: alternate screen, hidden cursor, raw mode, and
 * their restoration on exit, crash or Ctrl-C.
 */

export const UPPER_HALF_BLOCK = 0x2580; // '▀'
/** Colour value meaning "the terminal's default colour". */
export const DEFAULT_COLOR = -1;

/** A rectangle of text cells: a code point and 0xRRGGBB foreground/background colours per cell. */
export class CellGrid {
  readonly ch: Uint32Array;
  readonly fg: Int32Array;
  readonly bg: Int32Array;

  constructor(
    readonly cols: number,
    readonly rows: number,
  ) {
    const n = cols * rows;
    this.ch = new Uint32Array(n).fill(0x20);
    this.fg = new Int32Array(n).fill(DEFAULT_COLOR);
    this.bg = new Int32Array(n).fill(DEFAULT_COLOR);
  }

  clear(): void {
    this.ch.fill(0x20);
    this.fg.fill(DEFAULT_COLOR);
    this.bg.fill(DEFAULT_COLOR);
  }

  /** Writes single-width text at (x, y), clipped to the grid. */
  text(x: number, y: number, text: string, fg = DEFAULT_COLOR, bg = DEFAULT_COLOR): void {
    if (y < 0 || y >= this.rows) return;
    let col = x;
    for (const char of text) {
      if (col >= this.cols) break;
      if (col >= 0) {
        const i = y * this.cols + col;
        this.ch[i] = char.codePointAt(0) ?? 0x20;
        this.fg[i] = fg;
        this.bg[i] = bg;
      }
      col++;
    }
  }

  /** The grid's characters as plain lines (for tests and debugging). */
  toLines(): string[] {
    const lines: string[] = [];
    for (let y = 0; y < this.rows; y++) {
      let line = '';
      for (let x = 0; x < this.cols; x++) line += String.fromCodePoint(this.ch[y * this.cols + x]);
      lines.push(line);
    }
    return lines;
  }
}

/**
 * Scales an RGB frame (row-major, 3 bytes per pixel) to dstW x dstH colours (0xRRGGBB). Each
 * destination pixel covers a box of source pixels and takes the brightest of them: small bright
 * objects on a dark background (Breakout's ball) survive a downscale that plain sampling would lose.
 */
export function scaleFrame(
  rgb: Uint8Array,
  srcW: number,
  srcH: number,
  dstW: number,
  dstH: number,
  out: Int32Array = new Int32Array(dstW * dstH),
): Int32Array {
  if (rgb.length < srcW * srcH * 3) throw new RangeError(`frame has ${rgb.length} bytes, expected ${srcW * srcH * 3}`);
  for (let dy = 0; dy < dstH; dy++) {
    const y0 = Math.floor((dy * srcH) / dstH);
    const y1 = Math.max(y0 + 1, Math.floor(((dy + 1) * srcH) / dstH));
    for (let dx = 0; dx < dstW; dx++) {
      const x0 = Math.floor((dx * srcW) / dstW);
      const x1 = Math.max(x0 + 1, Math.floor(((dx + 1) * srcW) / dstW));
      let best = -1;
      let bestColor = 0;
      for (let y = y0; y < y1; y++) {
        let p = (y * srcW + x0) * 3;
        for (let x = x0; x < x1; x++, p += 3) {
          const r = rgb[p];
          const g = rgb[p + 1];
          const b = rgb[p + 2];
          const luma = 299 * r + 587 * g + 114 * b;
          if (luma > best) {
            best = luma;
            bestColor = (r << 16) | (g << 8) | b;
          }
        }
      }
      out[dy * dstW + dx] = bestColor;
    }
  }
  return out;
}

/**
 * Draws an RGB frame into `grid` at cell (x, y), `cols` cells wide and `rows` cells high
 * (2 * rows pixel rows), with half blocks.
 */
export function drawFrame(
  grid: CellGrid,
  rgb: Uint8Array,
  x: number,
  y: number,
  cols: number,
  rows: number,
  srcW = 160,
  srcH = 210,
  scratch?: Int32Array,
): void {
  const pixels = scaleFrame(rgb, srcW, srcH, cols, rows * 2, scratch);
  for (let row = 0; row < rows; row++) {
    const gy = y + row;
    if (gy < 0 || gy >= grid.rows) continue;
    for (let col = 0; col < cols; col++) {
      const gx = x + col;
      if (gx < 0 || gx >= grid.cols) continue;
      const i = gy * grid.cols + gx;
      grid.ch[i] = UPPER_HALF_BLOCK;
      grid.fg[i] = pixels[2 * row * cols + col];
      grid.bg[i] = pixels[(2 * row + 1) * cols + col];
    }
  }
}

function sgrColor(color: number, foreground: boolean): string {
  if (color === DEFAULT_COLOR) return foreground ? '39' : '49';
  return `${foreground ? 38 : 48};2;${(color >> 16) & 255};${(color >> 8) & 255};${color & 255}`;
}

/**
 * ANSI text that turns a terminal showing `prev` (or anything, when `prev` is null or of another
 * size: then the screen is cleared and every cell written) into one showing `next`. Only changed
 * cells are written; cursor moves and colour changes are emitted only where needed. Wrapped in
 * synchronized-output markers so terminals that know them show no half-drawn frames.
 */
export function renderDiff(prev: CellGrid | null, next: CellGrid): string {
  const full = prev === null || prev.cols !== next.cols || prev.rows !== next.rows;
  const parts: string[] = ['\x1b[?2026h'];
  if (full) parts.push('\x1b[0m\x1b[2J');
  let fg = Number.NaN;
  let bg = Number.NaN;
  let cursor = -1; // cell index the terminal cursor is at, -1 unknown
  const { cols, ch, fg: fgs, bg: bgs } = next;
  const n = cols * next.rows;
  let changed = 0;
  for (let i = 0; i < n; i++) {
    if (!full && prev.ch[i] === ch[i] && prev.fg[i] === fgs[i] && prev.bg[i] === bgs[i]) continue;
    changed++;
    if (cursor !== i) parts.push(`\x1b[${Math.floor(i / cols) + 1};${(i % cols) + 1}H`);
    const f = fgs[i];
    const b = bgs[i];
    if (f !== fg && b !== bg) parts.push(`\x1b[${sgrColor(f, true)};${sgrColor(b, false)}m`);
    else if (f !== fg) parts.push(`\x1b[${sgrColor(f, true)}m`);
    else if (b !== bg) parts.push(`\x1b[${sgrColor(b, false)}m`);
    fg = f;
    bg = b;
    parts.push(String.fromCodePoint(ch[i]));
    // Writing the last column leaves the cursor in a pending-wrap state: treat its position as unknown.
    cursor = (i + 1) % cols === 0 ? -1 : i + 1;
  }
  if (changed === 0 && !full) return '';
  parts.push('\x1b[0m\x1b[?2026l');
  return parts.join('');
}

/** Where a picture of `cols` x `rows` cells goes in the terminal, or why it does not fit. */
export type Layout =
  | { fits: true; cols: number; rows: number; x: number; y: number; gap: number }
  | { fits: false; needCols: number; needRows: number };

export interface LayoutOptions {
  /** Pictures side by side (the neural player's real-vs-neural view uses 2). Default 1. */
  count?: number;
  /** Empty columns between pictures, at most (shrinks to fit). Default 2. */
  gap?: number;
  /** Text rows kept free below the picture for status lines. Default 2. */
  reservedRows?: number;
  /** Smallest acceptable picture height in text rows (2 pixel rows each). Default 38. */
  minRows?: number;
  srcW?: number;
  srcH?: number;
}

/**
 * Picks the picture size for a terminal of termCols x termRows: the width is the source width
 * divided by the smallest integer factor (1..4) that fits (160, 80, 54 or 40 columns for a 160-pixel
 * frame), the height uses every free row up to the source height (half blocks: 2 pixels per row).
 * An 80x50 terminal gets an 80x48 picture (2 pixel columns and about 2.2 pixel rows per sample).
 */
export function fitLayout(termCols: number, termRows: number, opts: LayoutOptions = {}): Layout {
  const count = opts.count ?? 1;
  const gap = opts.gap ?? 2;
  const reserved = opts.reservedRows ?? 2;
  const minRows = opts.minRows ?? 38;
  const srcW = opts.srcW ?? 160;
  const srcH = opts.srcH ?? 210;
  const maxFactor = 4;
  const minWidth = Math.ceil(srcW / (count === 1 ? 2 : maxFactor));
  const needCols = count * minWidth;
  const needRows = minRows + reserved;
  const availRows = termRows - reserved;
  let cols = 0;
  for (let factor = 1; factor <= maxFactor; factor++) {
    const width = Math.ceil(srcW / factor);
    if (width < minWidth) break;
    if (count * width <= termCols) {
      cols = width;
      break;
    }
  }
  if (cols === 0 || availRows < minRows) return { fits: false, needCols, needRows };
  const usedGap = count > 1 ? Math.min(gap, Math.floor((termCols - count * cols) / (count - 1))) : 0;
  const rows = Math.min(Math.ceil(srcH / 2), availRows);
  const total = count * cols + (count - 1) * usedGap;
  return { fits: true, cols, rows, x: Math.floor((termCols - total) / 2), y: 0, gap: usedGap };
}

/** The message shown instead of the picture when the terminal is too small. */
export function tooSmallMessage(termCols: number, termRows: number, needCols: number, needRows: number): string {
  return `terminal too small (need ${needCols}x${needRows}, have ${termCols}x${termRows}): enlarge it or press q`;
}

/** Splits `text` at spaces into lines of at most `width` characters (longer words are cut). */
export function wrapText(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (!word) continue;
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = '';
    }
    line = line ? `${line} ${word}` : word;
    while (line.length > width) {
      lines.push(line.slice(0, width));
      line = line.slice(width);
    }
  }
  if (line) lines.push(line);
  return lines;
}

// ---------------------------------------------------------------------------------------------
// Keyboard: parsing is pure; the Keyboard class only wires stdin.

export type KeyName = 'left' | 'right' | 'up' | 'down' | 'space' | 'dot' | 'enter' | 'escape' | 'ctrl-c' | 'q' | 'other';

export interface KeyEvent {
  key: KeyName;
  /** The text for 'other' printable keys. */
  char?: string;
  /** 'press' for legacy terminals; terminals speaking the kitty keyboard protocol also report repeats and releases. */
  type: 'press' | 'repeat' | 'release';
}

const ARROWS: Record<string, KeyName> = { A: 'up', B: 'down', C: 'right', D: 'left' };

function charKey(char: string): KeyName {
  switch (char) {
    case ' ':
      return 'space';
    case '.':
      return 'dot';
    case 'q':
    case 'Q':
      return 'q';
    case '\r':
    case '\n':
      return 'enter';
    case '\x03':
      return 'ctrl-c';
    case '\x1b':
      return 'escape';
    default:
      return 'other';
  }
}

/**
 * Splits one chunk read from a raw-mode terminal into key events. Understands the legacy arrow
 * sequences (`ESC [ A`, and `ESC O A` in application-cursor mode, as tmux may send), CSI sequences
 * with modifiers, and the kitty keyboard protocol's `CSI code ; mods : event u` / `CSI 1 ; mods : event D`
 * forms with press/repeat/release. A lone ESC is the Escape key.
 */
export function parseKeys(chunk: string): KeyEvent[] {
  const events: KeyEvent[] = [];
  let i = 0;
  while (i < chunk.length) {
    const c = chunk[i];
    if (c === '\x1b') {
      const next = chunk[i + 1];
      if (next === 'O' && i + 2 < chunk.length) {
        const key = ARROWS[chunk[i + 2]];
        events.push({ key: key ?? 'other', type: 'press' });
        i += 3;
        continue;
      }
      if (next === '[') {
        // CSI: parameter bytes 0x30-0x3F, then one final byte 0x40-0x7E.
        let j = i + 2;
        while (j < chunk.length && chunk.charCodeAt(j) >= 0x30 && chunk.charCodeAt(j) <= 0x3f) j++;
        if (j < chunk.length) {
          events.push(csiKey(chunk.slice(i + 2, j), chunk[j]));
          i = j + 1;
          continue;
        }
      }
      if (next === '\x1b') {
        events.push({ key: 'escape', type: 'press' });
        i += 1;
        continue;
      }
      events.push({ key: 'escape', type: 'press' });
      i += 1;
      continue;
    }
    const cp = chunk.codePointAt(i) ?? 0;
    const char = String.fromCodePoint(cp);
    const key = charKey(char);
    events.push(key === 'other' ? { key, char, type: 'press' } : { key, type: 'press' });
    i += char.length;
  }
  return events;
}

function csiKey(params: string, final: string): KeyEvent {
  const fields = params.split(';');
  const eventField = fields[1]?.split(':')[1];
  const type: KeyEvent['type'] = eventField === '2' ? 'repeat' : eventField === '3' ? 'release' : 'press';
  if (ARROWS[final]) return { key: ARROWS[final], type };
  if (final === 'u') {
    const code = Number(fields[0].split(':')[0]);
    if (code === 99 && (Number(fields[1]?.split(':')[0]) - 1) & 4) return { key: 'ctrl-c', type };
    const char = Number.isFinite(code) && code > 0 ? String.fromCodePoint(code) : '';
    const key = code === 27 ? 'escape' : code === 13 ? 'enter' : charKey(char);
    return key === 'other' ? { key, char, type } : { key, type };
  }
  return { key: 'other', type };
}

/**
 * Which keys count as held. Plain terminals send no key-up events, only a press and then
 * auto-repeats, so a key counts as held for `holdMs` after each press or repeat. When the terminal
 * reports releases (kitty keyboard protocol), a key is held exactly until its release.
 */
export class HeldKeys {
  private readonly until = new Map<KeyName, number>();
  /** Keys the terminal has sent a release for (kitty protocol: arrows yes, plain text keys no). */
  private readonly releases = new Set<KeyName>();

  constructor(readonly holdMs = 150) {}

  handle(event: KeyEvent, nowMs: number): void {
    if (event.type === 'release') {
      this.releases.add(event.key);
      this.until.delete(event.key);
      return;
    }
    this.until.set(event.key, this.releases.has(event.key) ? Number.POSITIVE_INFINITY : nowMs + this.holdMs);
    // Opposite directions cancel each other at once: no drift after switching.
    const opposite: Partial<Record<KeyName, KeyName>> = { left: 'right', right: 'left', up: 'down', down: 'up' };
    const other = opposite[event.key];
    if (other) this.until.delete(other);
  }

  isHeld(key: KeyName, nowMs: number): boolean {
    const t = this.until.get(key);
    return t !== undefined && nowMs < t;
  }

  releaseAll(): void {
    this.until.clear();
  }
}

// ---------------------------------------------------------------------------------------------
// Side effects: the terminal itself.

type WriteStream = NodeJS.WriteStream;

/** A terminal problem the user can fix (no TTY): the CLI prints only the message. */
export class TerminalError extends Error {
  readonly userFacing = true;
  constructor(message: string) {
    super(message);
    this.name = 'TerminalError';
  }
}

type ReadStream = NodeJS.ReadStream;

const ENTER = '\x1b[?1049h\x1b[?25l\x1b[?7l\x1b[2J';
const LEAVE = '\x1b[0m\x1b[?7h\x1b[?25h\x1b[?1049l';
const KITTY_PUSH = '\x1b[>3u'; // disambiguate + report event types (press/repeat/release)
const KITTY_POP = '\x1b[<u';

/**
 * The alternate screen with a hidden cursor; restored by `stop()`, and also on process exit,
 * uncaught errors and termination signals.
 */
export class TerminalScreen {
  private prev: CellGrid | null = null;
  private active = false;
  private readonly restore = () => this.stop();
  private readonly onSignal = (signal: NodeJS.Signals) => {
    this.stop();
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  private readonly onCrash = (err: unknown) => {
    this.stop();
    console.error(err);
    process.exit(1);
  };

  constructor(private readonly out: WriteStream = process.stdout) {}

  get cols(): number {
    return this.out.columns || 80;
  }

  get rows(): number {
    return this.out.rows || 24;
  }

  start(): void {
    if (this.active) return;
    this.active = true;
    this.out.write(ENTER);
    process.on('exit', this.restore);
    process.on('SIGINT', this.onSignal);
    process.on('SIGTERM', this.onSignal);
    process.on('SIGHUP', this.onSignal);
    process.on('uncaughtException', this.onCrash);
    process.on('unhandledRejection', this.onCrash);
  }

  /** Shows `grid`, writing only what changed since the last call (everything after a resize). */
  draw(grid: CellGrid): void {
    const text = renderDiff(this.prev, grid);
    if (text) this.out.write(text);
    if (!this.prev || this.prev.cols !== grid.cols || this.prev.rows !== grid.rows) this.prev = new CellGrid(grid.cols, grid.rows);
    this.prev.ch.set(grid.ch);
    this.prev.fg.set(grid.fg);
    this.prev.bg.set(grid.bg);
  }

  /** Forget what is on screen: the next draw repaints everything (after a resize). */
  invalidate(): void {
    this.prev = null;
  }

  stop(): void {
    if (!this.active) return;
    this.active = false;
    this.out.write(LEAVE);
    process.off('exit', this.restore);
    process.off('SIGINT', this.onSignal);
    process.off('SIGTERM', this.onSignal);
    process.off('SIGHUP', this.onSignal);
    process.off('uncaughtException', this.onCrash);
    process.off('unhandledRejection', this.onCrash);
  }
}

/** Raw-mode key reading from a TTY; `stop()` (also run on process exit) restores cooked mode. */
export class Keyboard {
  private listener: ((data: string) => void) | null = null;
  private readonly restore = () => this.stop();

  constructor(
    private readonly input: ReadStream = process.stdin,
    private readonly output: WriteStream = process.stdout,
  ) {}

  start(onKey: (event: KeyEvent) => void): void {
    if (this.listener) return;
    if (!this.input.isTTY) throw new TerminalError('the player needs an interactive terminal (stdin is not a TTY)');
    this.input.setRawMode(true);
    this.input.setEncoding('utf8');
    this.output.write(KITTY_PUSH);
    this.listener = (data: string) => {
      for (const event of parseKeys(data)) onKey(event);
    };
    this.input.on('data', this.listener);
    this.input.resume();
    process.on('exit', this.restore);
  }

  stop(): void {
    if (!this.listener) return;
    this.input.off('data', this.listener);
    this.listener = null;
    this.output.write(KITTY_POP);
    if (this.input.isTTY) this.input.setRawMode(false);
    this.input.pause();
    process.off('exit', this.restore);
  }
}
