// Charts and frame grids for run folders: SVG drawn here, rasterised to PNG by sharp.
import sharp from 'sharp';
import { writeFileAtomic } from './atomic';
import type { RgbImage } from './png';

export interface Series {
  name: string;
  /** [x, y] points; non-finite y values are skipped. */
  points: [number, number][];
  color?: string;
}

export interface LineChartOptions {
  title?: string;
  xLabel?: string;
  yLabel?: string;
  width?: number;
  height?: number;
  /** Also draw a moving average over this many points (the raw line is drawn faint). */
  smooth?: number;
  logY?: boolean;
}

const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf'];

export function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);
}

/** About `count` round tick values covering [lo, hi] (1, 2, 5 times a power of ten apart). */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  // The round step whose tick count comes closest to `count`.
  const step = [1, 2, 5, 10]
    .map((m) => m * mag)
    .reduce((best, s) => (Math.abs((hi - lo) / s - count) < Math.abs((hi - lo) / best - count) ? s : best));
  const ticks: number[] = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) ticks.push(Number(t.toPrecision(12)));
  return ticks;
}

function tickLabel(v: number): string {
  const a = Math.abs(v);
  if (a >= 1e6) return `${Number((v / 1e6).toPrecision(3))}M`;
  if (a >= 1e4) return `${Number((v / 1e3).toPrecision(3))}k`;
  return String(Number(v.toPrecision(4)));
}

export function movingAverage(ys: number[], window: number): number[] {
  const out: number[] = [];
  let sum = 0;
  for (let i = 0; i < ys.length; i++) {
    sum += ys[i]!;
    if (i >= window) sum -= ys[i - window]!;
    out.push(sum / Math.min(i + 1, window));
  }
  return out;
}

export function lineChartSvg(series: Series[], opts: LineChartOptions = {}): string {
  const W = opts.width ?? 800;
  const H = opts.height ?? 450;
  const m = { left: 70, right: 20, top: opts.title ? 40 : 20, bottom: 55 };
  const pw = W - m.left - m.right;
  const ph = H - m.top - m.bottom;
  const ty = (y: number) => (opts.logY ? Math.log10(Math.max(y, 1e-12)) : y);
  const clean = series.map((s) => ({ ...s, points: s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(ty(y))) }));
  const all = clean.flatMap((s) => s.points);
  let [x0, x1] = [Math.min(...all.map((p) => p[0])), Math.max(...all.map((p) => p[0]))];
  let [y0, y1] = [Math.min(...all.map((p) => ty(p[1]))), Math.max(...all.map((p) => ty(p[1])))];
  if (!all.length) [x0, x1, y0, y1] = [0, 1, 0, 1];
  if (x1 === x0) [x0, x1] = [x0 - 1, x1 + 1];
  if (y1 === y0) [y0, y1] = [y0 - 1, y1 + 1];
  const pad = (y1 - y0) * 0.05;
  y0 -= pad;
  y1 += pad;
  const sx = (x: number) => m.left + ((x - x0) / (x1 - x0)) * pw;
  const sy = (y: number) => m.top + ph - ((ty(y) - y0) / (y1 - y0)) * ph;
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="DejaVu Sans, Arial, sans-serif" font-size="12">`);
  parts.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  if (opts.title) parts.push(`<text x="${W / 2}" y="24" text-anchor="middle" font-size="16">${escapeXml(opts.title)}</text>`);
  for (const t of niceTicks(x0, x1, 6)) {
    const x = sx(t);
    parts.push(`<line x1="${x}" y1="${m.top}" x2="${x}" y2="${m.top + ph}" stroke="#eee"/>`);
    parts.push(`<text x="${x}" y="${m.top + ph + 18}" text-anchor="middle">${tickLabel(t)}</text>`);
  }
  for (const t of niceTicks(y0, y1, 5)) {
    const y = m.top + ph - ((t - y0) / (y1 - y0)) * ph;
    parts.push(`<line x1="${m.left}" y1="${y}" x2="${m.left + pw}" y2="${y}" stroke="#eee"/>`);
    parts.push(`<text x="${m.left - 6}" y="${y + 4}" text-anchor="end">${tickLabel(opts.logY ? 10 ** t : t)}</text>`);
  }
  parts.push(`<rect x="${m.left}" y="${m.top}" width="${pw}" height="${ph}" fill="none" stroke="#333"/>`);
  if (opts.xLabel) parts.push(`<text x="${m.left + pw / 2}" y="${H - 12}" text-anchor="middle">${escapeXml(opts.xLabel)}</text>`);
  if (opts.yLabel)
    parts.push(`<text transform="translate(16 ${m.top + ph / 2}) rotate(-90)" text-anchor="middle">${escapeXml(opts.yLabel)}</text>`);
  clean.forEach((s, i) => {
    const color = s.color ?? PALETTE[i % PALETTE.length];
    const path = (pts: [number, number][]) => pts.map(([x, y], j) => `${j ? 'L' : 'M'}${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join('');
    if (!s.points.length) return;
    if (opts.smooth && opts.smooth > 1) {
      parts.push(`<path d="${path(s.points)}" fill="none" stroke="${color}" stroke-opacity="0.25" stroke-width="1"/>`);
      const avg = movingAverage(s.points.map((p) => p[1]), opts.smooth);
      parts.push(`<path d="${path(s.points.map((p, j) => [p[0], avg[j]!]))}" fill="none" stroke="${color}" stroke-width="2"/>`);
    } else {
      parts.push(`<path d="${path(s.points)}" fill="none" stroke="${color}" stroke-width="1.5"/>`);
    }
    const ly = m.top + 16 + i * 16;
    parts.push(`<line x1="${m.left + 10}" y1="${ly - 4}" x2="${m.left + 30}" y2="${ly - 4}" stroke="${color}" stroke-width="2"/>`);
    parts.push(`<text x="${m.left + 36}" y="${ly}">${escapeXml(s.name)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n');
}

export async function writeLineChartPng(path: string, series: Series[], opts: LineChartOptions = {}): Promise<void> {
  const png = await sharp(Buffer.from(lineChartSvg(series, opts))).png().toBuffer();
  writeFileAtomic(path, png);
}

export interface ImageGridOptions {
  /** Integer upscaling of every frame (nearest neighbour, so pixels stay crisp). Default 1. */
  scale?: number;
  /** Pixels between cells. Default 4. */
  gap?: number;
  /** Titles above the columns. */
  columnLabels?: string[];
  /** Titles left of the rows. */
  rowLabels?: string[];
  /** Frame size when the rows hold bare Uint8Arrays (default 160x210, the Atari screen). */
  width?: number;
  height?: number;
}

type Frame = Uint8Array | RgbImage;

/** Rows of RGB frames as one picture, e.g. context | real next | predicted | difference. */
export async function imageGridPng(rows: Frame[][], opts: ImageGridOptions = {}): Promise<Buffer> {
  const scale = opts.scale ?? 1;
  const gap = opts.gap ?? 4;
  const asImage = (f: Frame): RgbImage =>
    f instanceof Uint8Array ? { data: f, width: opts.width ?? 160, height: opts.height ?? 210 } : f;
  const images = rows.map((r) => r.map(asImage));
  const cols = Math.max(...images.map((r) => r.length));
  const cellW = Math.max(...images.flat().map((f) => f.width)) * scale;
  const cellH = Math.max(...images.flat().map((f) => f.height)) * scale;
  const top = opts.columnLabels?.length ? 22 : 0;
  const left = opts.rowLabels?.length ? 90 : 0;
  const W = left + cols * cellW + (cols + 1) * gap;
  const H = top + rows.length * cellH + (rows.length + 1) * gap;
  const canvas = new Uint8Array(W * H * 3).fill(255);
  images.forEach((row, r) =>
    row.forEach((img, c) => {
      if (img.data.length !== img.width * img.height * 3) throw new Error(`image grid: cell ${r},${c} is not ${img.width}x${img.height} RGB`);
      const ox = left + gap + c * (cellW + gap);
      const oy = top + gap + r * (cellH + gap);
      for (let y = 0; y < img.height * scale; y++) {
        const srcRow = Math.floor(y / scale) * img.width;
        let dst = ((oy + y) * W + ox) * 3;
        for (let x = 0; x < img.width * scale; x++, dst += 3) {
          const src = (srcRow + Math.floor(x / scale)) * 3;
          canvas[dst] = img.data[src]!;
          canvas[dst + 1] = img.data[src + 1]!;
          canvas[dst + 2] = img.data[src + 2]!;
        }
      }
    }),
  );
  let image = sharp(Buffer.from(canvas.buffer), { raw: { width: W, height: H, channels: 3 } });
  if (top || left) {
    const texts: string[] = [];
    opts.columnLabels?.forEach((label, c) =>
      texts.push(`<text x="${left + gap + c * (cellW + gap) + cellW / 2}" y="16" text-anchor="middle">${escapeXml(label)}</text>`),
    );
    opts.rowLabels?.forEach((label, r) =>
      texts.push(`<text x="4" y="${top + gap + r * (cellH + gap) + cellH / 2}">${escapeXml(label)}</text>`),
    );
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="DejaVu Sans, Arial, sans-serif" font-size="13">${texts.join('')}</svg>`;
    image = image.composite([{ input: Buffer.from(svg), top: 0, left: 0 }]);
  }
  return image.png().toBuffer();
}

export async function writeImageGridPng(path: string, rows: Frame[][], opts: ImageGridOptions = {}): Promise<void> {
  writeFileAtomic(path, await imageGridPng(rows, opts));
}
