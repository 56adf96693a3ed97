// The web player's local server: bundles play/web/client.ts with esbuild (in memory, at start) and
// serves the page, the bundle, TensorFlow.js's WebAssembly binaries, the checkpoint folders and,
// when one is found, the ROM. Listens on localhost only; nothing is written to disk.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { dirname, extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserError } from '../pipeline/errors';
import type { WebConfig } from './web/config';

const HERE = dirname(fileURLToPath(import.meta.url));
const WEB_DIR = join(HERE, 'web');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.png': 'image/png',
  '.bin': 'application/octet-stream',
};

export interface PlayServerOptions {
  worldModel: string;
  actionMap: string;
  /** Ball head checkpoint folder, or null for the decoder alone. */
  ballHead: string | null;
  /** Paddle head checkpoint folder, or null for the decoder alone. */
  paddleHead: string | null;
  startFrames: string;
  /** The ROM's bytes, served at /rom, or null. */
  rom: Uint8Array | null;
  fps: number;
  temperature: number;
  host?: string;
  /** 0 = any free port. */
  port: number;
}

export interface PlayServer {
  url: string;
  server: Server;
  close(): Promise<void>;
}

/** The client bundle (ES module, browser), built in memory. */
export async function bundleClient(): Promise<string> {
  const esbuild = await import('esbuild');
  const result = await esbuild.build({
    entryPoints: [join(WEB_DIR, 'client.ts')],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    write: false,
    logLevel: 'silent',
    // @tensorflow/tfjs-backend-wasm maps these to false in its "browser" field; other packages may probe them.
    external: ['fs', 'path', 'os', 'worker_threads', 'perf_hooks', 'crypto', 'node:*'],
    define: { 'process.env.NODE_ENV': '"production"' },
  });
  return result.outputFiles[0].text;
}

function wasmDir(): string {
  const require = createRequire(import.meta.url);
  return dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
}

/** A file under `root` named by the URL path `rel`, or null when it escapes root or does not exist. */
function fileUnder(root: string, rel: string): string | null {
  const path = normalize(join(root, decodeURIComponent(rel)));
  if (path !== root && !path.startsWith(root + sep)) return null;
  return existsSync(path) && statSync(path).isFile() ? path : null;
}

export async function startPlayServer(opts: PlayServerOptions): Promise<PlayServer> {
  for (const [what, dir] of [['world model', opts.worldModel], ['action map', opts.actionMap], ...(opts.ballHead ? [['ball head', opts.ballHead]] : []), ...(opts.paddleHead ? [['paddle head', opts.paddleHead]] : [])] as const) {
    if (!existsSync(join(dir, 'checkpoint.json'))) throw new UserError(`${what} not found: ${dir}/checkpoint.json`);
  }
  if (!existsSync(join(opts.startFrames, 'index.json'))) throw new UserError(`start frames not found: ${opts.startFrames}/index.json`);
  const bundle = await bundleClient();
  const roots: Record<string, string> = {
    '/ckpt/world-model/': resolve(opts.worldModel),
    '/ckpt/action-map/': resolve(opts.actionMap),
    ...(opts.ballHead ? { '/ckpt/ball-head/': resolve(opts.ballHead) } : {}),
    ...(opts.paddleHead ? { '/ckpt/paddle-head/': resolve(opts.paddleHead) } : {}),
    '/ckpt/start-frames/': resolve(opts.startFrames),
    '/tfjs-wasm/': wasmDir(),
  };
  const config: WebConfig = {
    worldModel: 'ckpt/world-model',
    actionMap: 'ckpt/action-map',
    ballHead: opts.ballHead ? 'ckpt/ball-head' : null,
    paddleHead: opts.paddleHead ? 'ckpt/paddle-head' : null,
    startFrames: 'ckpt/start-frames',
    wasmPath: '/tfjs-wasm/',
    rom: opts.rom ? 'rom' : null,
    fps: opts.fps,
    temperature: opts.temperature,
  };
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const send = (status: number, type: string, body: string | Uint8Array) => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(body);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'text/plain', 'method not allowed');
    const p = url.pathname;
    if (p === '/' || p === '/index.html') return send(200, TYPES['.html'], readFileSync(join(WEB_DIR, 'index.html')));
    if (p === '/client.js') return send(200, TYPES['.js'], bundle);
    if (p === '/config.json') return send(200, TYPES['.json'], JSON.stringify(config));
    if (p === '/rom') return opts.rom ? send(200, TYPES['.bin'], opts.rom) : send(404, 'text/plain', 'no ROM on this server');
    for (const [prefix, root] of Object.entries(roots)) {
      if (!p.startsWith(prefix)) continue;
      const file = fileUnder(root, p.slice(prefix.length));
      if (!file) return send(404, 'text/plain', 'not found');
      return send(200, TYPES[extname(file)] ?? 'application/octet-stream', readFileSync(file));
    }
    send(404, 'text/plain', 'not found');
  });
  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((ok, fail) => {
    server.once('error', (err: NodeJS.ErrnoException) => fail(err.code === 'EADDRINUSE' ? new UserError(`port ${opts.port} is in use (pick another with --port)`) : err));
    server.listen(opts.port, host, () => ok());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host === '0.0.0.0' ? 'localhost' : host}:${port}/`,
    server,
    close: () => new Promise<void>((ok) => { server.closeAllConnections(); server.close(() => ok()); }),
  };
}
