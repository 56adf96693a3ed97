import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lineChartSvg, niceTicks, writeImageGridPng, writeLineChartPng } from '../../pipeline/plot';
import { readPng, writePng } from '../../pipeline/png';

describe('plots and PNGs', () => {
  it('picks round ticks', () => {
    expect(niceTicks(0, 100, 5)).toEqual([0, 20, 40, 60, 80, 100]);
    expect(niceTicks(0.1, 0.95, 4)).toEqual([0.2, 0.4, 0.6, 0.8]);
  });

  it('draws a line chart with title, labels and legend, rasterised to PNG', async () => {
    const series = [{ name: 'return', points: Array.from({ length: 50 }, (_, i) => [i * 1000, Math.sin(i / 5) * 10 + i] as [number, number]) }];
    const svg = lineChartSvg(series, { title: 'Learning <curve>', xLabel: 'frames', yLabel: 'return', smooth: 5 });
    expect(svg).toContain('Learning &lt;curve&gt;');
    expect(svg).toContain('>frames<');
    const path = join(mkdtempSync(join(tmpdir(), 'plot-')), 'curve.png');
    await writeLineChartPng(path, series, { title: 't', width: 640, height: 360 });
    const img = await readPng(path);
    expect([img.width, img.height]).toEqual([640, 360]);
  });

  it('round-trips RGB through PNG exactly and lays frames out in a grid', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'png-'));
    const w = 160;
    const h = 210;
    const a = new Uint8Array(w * h * 3).map((_, i) => (i * 7) & 255);
    const b = new Uint8Array(w * h * 3).fill(200);
    await writePng(join(dir, 'a.png'), a, w, h);
    expect((await readPng(join(dir, 'a.png'))).data).toEqual(a);
    await writeImageGridPng(join(dir, 'grid.png'), [[a, b]], { gap: 2, scale: 2 });
    const grid = await readPng(join(dir, 'grid.png'));
    expect([grid.width, grid.height]).toEqual([2 * w * 2 + 3 * 2, h * 2 + 2 * 2]);
    // Pixel (x=1, y=0) of frame a lands at (2 + 2, 2) and (2 + 3, 3) after 2x upscaling.
    const at = (x: number, y: number) => Array.from(grid.data.subarray((y * grid.width + x) * 3, (y * grid.width + x) * 3 + 3));
    expect(at(4, 2)).toEqual(Array.from(a.subarray(3, 6)));
    expect(at(5, 3)).toEqual(Array.from(a.subarray(3, 6)));
    expect(at(2 + 2 * w + 2, 2)).toEqual([200, 200, 200]);
    await expect(readPng(join(dir, 'missing.png'))).rejects.toMatchObject({ userFacing: true });
  });
});
