import { mkdtempSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hashPath } from '../../pipeline/hash';
import { createRun, openRun, readMetrics } from '../../pipeline/run';

const fresh = () => mkdtempSync(join(tmpdir(), 'run-'));
const readJson = (p: string) => JSON.parse(readFileSync(p, 'utf8'));

describe('run folders', () => {
  it('creates <root>/<stage>-<name> with config.json and run.json, and refuses to reuse it', async () => {
    const root = fresh();
    const run = await createRun({ stage: 'test-stage', name: 'a', root, config: { lr: 0.001, layers: [1, 2] }, wandb: false });
    expect(run.dir).toBe(join(root, 'test-stage-a'));
    expect(readJson(run.path('config.json'))).toEqual({ lr: 0.001, layers: [1, 2] });
    expect(readJson(run.path('run.json')).stage).toBe('test-stage');
    await expect(createRun({ stage: 'test-stage', name: 'a', root, config: {}, wandb: false })).rejects.toMatchObject({ userFacing: true });
    const stamped = await createRun({ stage: 's', root, config: {}, wandb: false });
    expect(stamped.dir).toMatch(/s-\d{8}-\d{6}$/);
  });

  it('appends metrics lines with step and time, and continues them on resume', async () => {
    const root = fresh();
    const run = await createRun({ stage: 'm', name: 'x', root, config: { a: 1 }, wandb: false });
    run.logMetrics({ loss: 1.5 });
    run.logMetrics({ loss: 1.2, step: 100 });
    run.writeSummary({ best: 3 });
    const lines = readMetrics(run.dir);
    expect(lines.map((l) => l.step)).toEqual([0, 100]);
    expect(lines[1]!.loss).toBe(1.2);
    expect(typeof lines[0]!.time).toBe('string');
    expect(readJson(run.path('summary.json')).best).toBe(3);

    const again = await openRun<{ a: number }>(run.dir, { wandb: false });
    expect(again.config.a).toBe(1);
    again.logMetrics({ loss: 1.0 });
    expect(readMetrics(run.dir).map((l) => l.step)).toEqual([0, 100, 2]);
    expect(readJson(run.path('run.json')).resumes).toHaveLength(1);
    await expect(openRun(join(root, 'nope'))).rejects.toThrow(/not a run folder/);
  });

  it('hashes files and folders in the manifest; any change to a file changes the hash', async () => {
    const root = fresh();
    const data = join(root, 'data');
    mkdirSync(join(data, 'sub'), { recursive: true });
    writeFileSync(join(data, 'a.bin'), 'abc');
    writeFileSync(join(data, 'sub/b.bin'), 'def');
    const h1 = await hashPath(data);
    expect(h1.files).toBe(2);
    expect(h1.bytes).toBe(6);
    // sha256("abc") is a known value.
    expect((await hashPath(join(data, 'a.bin'))).sha256).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    writeFileSync(join(data, 'sub/b.bin'), 'deg');
    const h2 = await hashPath(data);
    expect(h2.sha256).not.toBe(h1.sha256);

    const run = await createRun({ stage: 'man', name: 'x', root, config: {}, wandb: false });
    await run.writeManifest([{ role: 'dataset', path: data }, { role: 'file', path: join(data, 'a.bin') }], { episodes: 3 });
    const manifest = readJson(run.path('manifest.json'));
    expect(manifest.inputs[0]).toMatchObject({ role: 'dataset', path: data, sha256: h2.sha256, files: 2 });
    expect(manifest.inputs[1].sha256).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(manifest.episodes).toBe(3);
    await expect(run.writeManifest([{ role: 'ckpt', path: join(root, 'missing') }])).rejects.toThrow(/ckpt not found/);
  });
});
