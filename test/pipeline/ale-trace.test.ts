import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { findRom } from '../../atari/roms';
import { composeDiffImage, describeMismatch, framesDirFor, readTrace, replayTrace, TraceError } from '../../pipeline/ale-trace';

const ROM_DIR = process.env.ATARI_ROM_DIR;
const TRACE_DIR = process.env.ALE_TRACE_DIR ?? resolve(__dirname, '../../../shared/ale-reference');
const TRACES = ['uniform-s0', 'held-s0', 'sticky-s123', 'fskip4-s7', 'tracker-s11'].map((n) =>
  join(TRACE_DIR, `breakout-${n}.jsonl.gz`),
);
const haveTraces = TRACES.every((t) => existsSync(t));

if (!ROM_DIR) console.warn('ALE trace tests skipped: set ATARI_ROM_DIR to the folder holding breakout.bin');
else if (!haveTraces) console.warn(`ALE trace tests skipped: no reference traces in ${TRACE_DIR} (set ALE_TRACE_DIR)`);

function rom(): Uint8Array {
  return findRom('breakout', { searchAlePy: false }).bytes;
}

describe('readTrace', () => {
  it('rejects files that are not gzip JSON Lines traces', () => {
    const dir = mkdtempSync(join(tmpdir(), 'trace-'));
    const bad = join(dir, 'bad.jsonl.gz');
    writeFileSync(bad, 'not gzip');
    expect(() => readTrace(bad)).toThrow(TraceError);
    writeFileSync(bad, gzipSync('{"kind":"something-else"}\n'));
    expect(() => readTrace(bad)).toThrow(/header/);
    expect(framesDirFor('/a/b/breakout-x.jsonl.gz')).toBe('/a/b/breakout-x.frames');
  });

  it('composeDiffImage puts expected | got | difference side by side', () => {
    const a = new Uint8Array(160 * 210 * 3);
    const b = Uint8Array.from(a);
    b[3 * (5 * 160 + 7)] = 200;
    const img = composeDiffImage(a, b);
    expect([img.width, img.height]).toEqual([480, 210]);
    const at = (x: number, y: number) => img.rgb[(y * 480 + x) * 3];
    expect(at(7, 5)).toBe(0);
    expect(at(160 + 7, 5)).toBe(200);
    expect(at(320 + 7, 5)).toBe(255);
    expect(at(320 + 8, 5)).toBe(0);
  });
});

describe.skipIf(!ROM_DIR || !haveTraces)('ALE reference traces (ATARI_ROM_DIR)', () => {
  for (const path of TRACES) {
    it(`${path.split('/').pop()} matches on every step`, async () => {
      const trace = readTrace(path);
      const result = await replayTrace(rom(), trace);
      if (result.mismatch) throw new Error(describeMismatch(result.mismatch).join('\n'));
      expect(result.matchedSteps).toBe(trace.header.steps);
      expect(result.steps).toBe(trace.header.steps);
    }, 900_000);
  }

  it('a tampered trace is caught at the right step and field', async () => {
    const text = gunzipSync(readFileSync(TRACES[0])).toString().trim().split('\n');
    const lines = text.map((l) => JSON.parse(l));
    // Step 7: flip two RAM bytes; run only the first 20 lines.
    const i7 = lines.findIndex((l) => l.t === 7 && 'action' in l);
    const originalRam = lines[i7].ram;
    const ram = Buffer.from(originalRam, 'hex');
    ram[5] ^= 0xff;
    lines[i7].ram = ram.toString('hex');
    const dir = mkdtempSync(join(tmpdir(), 'trace-'));
    const file = join(dir, 'tampered.jsonl.gz');
    writeFileSync(file, gzipSync(lines.slice(0, 20).map((l) => JSON.stringify(l)).join('\n')));
    const result = await replayTrace(rom(), readTrace(file));
    expect(result.matchedSteps).toBe(6);
    expect(result.mismatch?.step).toBe(7);
    expect(result.mismatch?.field).toBe('ram');
    expect(result.mismatch?.ramDiffs).toEqual([{ index: 5, expected: ram[5], got: ram[5] ^ 0xff }]);
    expect(describeMismatch(result.mismatch!)[0]).toContain('$85 (index 5)');

    // A reward off by one and a wrong screen are named as such.
    lines[i7].ram = originalRam;
    lines[3].reward += 1;
    writeFileSync(file, gzipSync(lines.slice(0, 20).map((l) => JSON.stringify(l)).join('\n')));
    const r2 = await replayTrace(rom(), readTrace(file));
    expect(r2.mismatch?.field).toBe('reward');
    expect(r2.mismatch?.step).toBe(lines[3].t);
    lines[3].reward -= 1;
    lines[4].screen_md5 = '0'.repeat(32);
    writeFileSync(file, gzipSync(lines.slice(0, 20).map((l) => JSON.stringify(l)).join('\n')));
    const r3 = await replayTrace(rom(), readTrace(file));
    expect(r3.mismatch?.field).toBe('screen');
    expect(describeMismatch(r3.mismatch!)[0]).toContain(`step ${lines[4].t}`);
  }, 120_000);
});
