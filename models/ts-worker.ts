// Worker threads that run TypeScript modules: Node 20 does not pass tsx's loader on to worker threads,
// so each worker registers it in its own thread before importing its entry module.
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';

export function startTsWorker(entry: URL, workerData: unknown): Worker {
  // Test runners' module shims lack import.meta.resolve: there, resolve the CommonJS entry and take its
  // ES-module twin (tsx ships both side by side).
  const tsxApi = typeof import.meta.resolve === 'function'
    ? import.meta.resolve('tsx/esm/api')
    : pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm/api').replace(/\.cjs$/, '.mjs')).href;
  const boot = `import(${JSON.stringify(tsxApi)}).then((m) => { m.register(); return import(${JSON.stringify(entry.href)}); });`;
  return new Worker(boot, { eval: true, workerData });
}
