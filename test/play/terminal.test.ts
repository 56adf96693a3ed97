import { describe, expect, it } from 'vitest';
import {
  CellGrid,
  DEFAULT_COLOR,
  drawFrame,
  fitLayout,
  HeldKeys,
  parseKeys,
  renderDiff,
  scaleFrame,
  tooSmallMessage,
  UPPER_HALF_BLOCK,
  wrapText,
} from '../../play/terminal';

/** A tiny terminal emulator: applies cursor moves, SGR truecolor and text to a cell grid. */
function emulate(ansi: string, cols: number, rows: number, screen = new CellGrid(cols, rows)): CellGrid {
  let x = 0;
  let y = 0;
  let fg = DEFAULT_COLOR;
  let bg = DEFAULT_COLOR;
  let i = 0;
  while (i < ansi.length) {
    if (ansi[i] === '\x1b') {
      const m = /^\x1b\[([?0-9;]*)([A-Za-z])/.exec(ansi.slice(i));
      if (!m) throw new Error(`bad escape at ${i}`);
      const [whole, params, final] = m;
      if (final === 'H') {
        const [r, c] = params.split(';').map(Number);
        y = r - 1;
        x = c - 1;
      } else if (final === 'J') {
        screen.clear();
      } else if (final === 'm') {
        const p = params === '' ? [0] : params.split(';').map(Number);
        for (let k = 0; k < p.length; k++) {
          if (p[k] === 0) fg = bg = DEFAULT_COLOR;
          else if (p[k] === 39) fg = DEFAULT_COLOR;
          else if (p[k] === 49) bg = DEFAULT_COLOR;
          else if (p[k] === 38 || p[k] === 48) {
            const color = (p[k + 2] << 16) | (p[k + 3] << 8) | p[k + 4];
            if (p[k] === 38) fg = color;
            else bg = color;
            k += 4;
          }
        }
      }
      i += whole.length;
      continue;
    }
    const cp = ansi.codePointAt(i)!;
    expect(x).toBeLessThan(cols);
    const idx = y * cols + x;
    screen.ch[idx] = cp;
    screen.fg[idx] = fg;
    screen.bg[idx] = bg;
    x++;
    i += cp > 0xffff ? 2 : 1;
  }
  return screen;
}

function frame(fill: (x: number, y: number) => [number, number, number], w = 160, h = 210): Uint8Array {
  const rgb = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) rgb.set(fill(x, y), (y * w + x) * 3);
  return rgb;
}

describe('scaleFrame', () => {
  it('is the identity at full size', () => {
    const rgb = frame((x, y) => [x, y, (x + y) & 255], 8, 6);
    const out = scaleFrame(rgb, 8, 6, 8, 6);
    expect(out[2 * 8 + 3]).toBe((3 << 16) | (2 << 8) | 5);
  });

  it('keeps a one-pixel bright object when downscaling (brightest in each box)', () => {
    const rgb = frame((x, y) => (x === 77 && y === 101 ? [200, 72, 72] : [0, 0, 0]));
    const out = scaleFrame(rgb, 160, 210, 80, 96);
    const hits = [...out].filter((c) => c === 0xc84848).length;
    expect(hits).toBe(1);
    expect(out.indexOf(0xc84848)).toBe(Math.floor((101 * 96) / 210) * 80 + Math.floor(77 / 2));
  });
});

describe('drawFrame + renderDiff', () => {
  it('draws upper pixel as foreground and lower as background of ▀', () => {
    const rgb = frame((_x, y) => (y % 2 === 0 ? [255, 0, 0] : [0, 0, 255]), 4, 4);
    const grid = new CellGrid(4, 2);
    drawFrame(grid, rgb, 0, 0, 4, 2, 4, 4);
    expect(grid.ch[0]).toBe(UPPER_HALF_BLOCK);
    expect(grid.fg[0]).toBe(0xff0000);
    expect(grid.bg[0]).toBe(0x0000ff);
    const screen = emulate(renderDiff(null, grid), 4, 2);
    expect([...screen.fg]).toEqual([...grid.fg]);
    expect([...screen.bg]).toEqual([...grid.bg]);
    expect(screen.toLines()).toEqual(['▀▀▀▀', '▀▀▀▀']);
  });

  it('re-emits only changed cells, and a terminal applying the diff shows the new grid', () => {
    const a = new CellGrid(80, 50);
    drawFrame(a, frame((x, y) => [x, y, 0]), 0, 0, 80, 48);
    a.text(0, 49, 'score 0  lives 5');
    const full = renderDiff(null, a);
    const screen = emulate(full, 80, 50);
    expect(screen.toLines()[49].trimEnd()).toBe('score 0  lives 5');

    const b = new CellGrid(80, 50);
    b.ch.set(a.ch);
    b.fg.set(a.fg);
    b.bg.set(a.bg);
    b.text(6, 49, '4');
    b.fg[10 * 80 + 79] = 0x123456;
    const diff = renderDiff(a, b);
    expect(diff.length).toBeLessThan(120);
    expect(diff.length).toBeLessThan(full.length / 100);
    emulate(diff, 80, 50, screen);
    expect([...screen.ch]).toEqual([...b.ch]);
    expect([...screen.fg]).toEqual([...b.fg]);
    expect([...screen.bg]).toEqual([...b.bg]);
    expect(renderDiff(b, b)).toBe('');
  });

  it('repaints everything when the size changes', () => {
    const a = new CellGrid(10, 5);
    const b = new CellGrid(12, 5);
    b.text(0, 0, 'hello');
    const out = renderDiff(a, b);
    expect(out).toContain('\x1b[2J');
    expect(emulate(out, 12, 5).toLines()[0]).toBe('hello       ');
  });
});

describe('fitLayout', () => {
  it('fits 80x50 with an 80-column picture of 48 rows', () => {
    expect(fitLayout(80, 50)).toEqual({ fits: true, cols: 80, rows: 48, x: 0, y: 0, gap: 0 });
  });
  it('uses full resolution on a big terminal and centres the picture', () => {
    expect(fitLayout(200, 120)).toEqual({ fits: true, cols: 160, rows: 105, x: 20, y: 0, gap: 0 });
  });
  it('says what it needs when too small', () => {
    const layout = fitLayout(79, 50);
    expect(layout).toEqual({ fits: false, needCols: 80, needRows: 40 });
    expect(fitLayout(120, 30).fits).toBe(false);
    expect(tooSmallMessage(79, 50, 80, 40)).toMatch(/terminal too small \(need 80x40, have 79x50\)/);
  });
  it('puts two pictures side by side in 80 columns', () => {
    const layout = fitLayout(80, 50, { count: 2 });
    expect(layout).toEqual({ fits: true, cols: 40, rows: 48, x: 0, y: 0, gap: 0 });
    expect(fitLayout(100, 50, { count: 2 })).toEqual({ fits: true, cols: 40, rows: 48, x: 9, y: 0, gap: 2 });
  });
});

describe('parseKeys', () => {
  it('reads arrows (CSI and SS3 forms), space, dot, q, Esc and Ctrl-C', () => {
    const keys = parseKeys('\x1b[D\x1b[C\x1bOA\x1b[B .q\x03').map((e) => e.key);
    expect(keys).toEqual(['left', 'right', 'up', 'down', 'space', 'dot', 'q', 'ctrl-c']);
    expect(parseKeys('\x1b').map((e) => e.key)).toEqual(['escape']);
    expect(parseKeys('x')).toEqual([{ key: 'other', char: 'x', type: 'press' }]);
  });
  it('reads modified arrows and kitty-protocol press/repeat/release', () => {
    expect(parseKeys('\x1b[1;2D')[0]).toEqual({ key: 'left', type: 'press' });
    expect(parseKeys('\x1b[1;1:2C')[0]).toEqual({ key: 'right', type: 'repeat' });
    expect(parseKeys('\x1b[1;1:3C')[0]).toEqual({ key: 'right', type: 'release' });
    expect(parseKeys('\x1b[27u')[0].key).toBe('escape');
    expect(parseKeys('\x1b[99;5u')[0].key).toBe('ctrl-c');
    expect(parseKeys('\x1b[113u')[0].key).toBe('q');
  });
});

describe('HeldKeys', () => {
  it('holds a key for holdMs after each press or repeat', () => {
    const held = new HeldKeys(100);
    held.handle({ key: 'left', type: 'press' }, 0);
    expect(held.isHeld('left', 50)).toBe(true);
    expect(held.isHeld('left', 100)).toBe(false);
    held.handle({ key: 'left', type: 'press' }, 90);
    expect(held.isHeld('left', 150)).toBe(true);
  });
  it('an opposite direction cancels the held one', () => {
    const held = new HeldKeys(100);
    held.handle({ key: 'left', type: 'press' }, 0);
    held.handle({ key: 'right', type: 'press' }, 10);
    expect(held.isHeld('left', 20)).toBe(false);
    expect(held.isHeld('right', 20)).toBe(true);
  });
  it('holds exactly until release once the terminal reports releases', () => {
    const held = new HeldKeys(100);
    held.handle({ key: 'left', type: 'press' }, 0);
    held.handle({ key: 'left', type: 'release' }, 10);
    expect(held.isHeld('left', 11)).toBe(false);
    held.handle({ key: 'left', type: 'press' }, 20);
    expect(held.isHeld('left', 5000)).toBe(true);
    held.handle({ key: 'left', type: 'release' }, 5001);
    expect(held.isHeld('left', 5002)).toBe(false);
    held.handle({ key: 'space', type: 'press' }, 6000);
    expect(held.isHeld('space', 6200)).toBe(false);
  });
});

describe('wrapText', () => {
  it('wraps at spaces and cuts words longer than the width', () => {
    expect(wrapText('terminal too small (need 80x40, have 60x30)', 20)).toEqual(['terminal too small', '(need 80x40, have', '60x30)']);
    expect(wrapText('abcdefgh', 3)).toEqual(['abc', 'def', 'gh']);
  });
});
