/** What play/server.ts tells the web page (GET config.json). */
export interface WebConfig {
  /** Checkpoint folders, as URLs relative to the page. */
  worldModel: string;
  actionMap: string;
  /** The ball head's checkpoint (models/ball-head.ts), or null for the decoder alone. */
  ballHead: string | null;
  /** The paddle head's checkpoint (models/paddle-head.ts), or null for the decoder alone. */
  paddleHead: string | null;
  startFrames: string;
  /** Where TensorFlow.js's .wasm files are served. */
  wasmPath: string;
  /** URL of the ROM, or null when the server has none. */
  rom: string | null;
  fps: number;
  temperature: number;
}
