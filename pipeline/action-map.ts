// The action map in Node: load a checkpoint folder written by stage 4 (npm run stage:train-action-map)
// as an ActionToCode (pipeline/eval-world-model.ts loads it through loadActionMap). A checkpoint that
// holds only a fixed `codeTable` (a hand-made stand-in) loads as a table.
import { ActionMap, actionMapConfigFromMeta, isMlpActionMeta } from '../models/action-map';
import { CheckpointError, loadModel, readCheckpointMeta } from '../models/checkpoint';

/** The ActionToCode shape (pipeline/eval-world-model.ts), plus the optional action history (oldest first). */
export interface LoadedActionMap {
  readonly codebookSize: number;
  codeProbabilities(action: number, context: readonly Uint8Array[], previous?: ArrayLike<number> | null): ArrayLike<number>;
}

class TableActionMap implements LoadedActionMap {
  readonly codebookSize: number;
  constructor(private readonly table: number[][]) {
    this.codebookSize = table[0].length;
  }
  codeProbabilities(action: number): ArrayLike<number> {
    const row = this.table[action];
    if (!row) throw new RangeError(`action map: no row for action ${action}`);
    return row;
  }
}

/** An action-map checkpoint folder as an ActionToCode; CheckpointError (user-facing) when it is not one. */
export async function loadActionMap(dir: string): Promise<LoadedActionMap> {
  const meta = readCheckpointMeta(dir);
  if (isMlpActionMeta(meta)) {
    let cfg;
    try {
      cfg = actionMapConfigFromMeta(meta, `checkpoint ${dir}`);
    } catch (err) {
      throw new CheckpointError((err as Error).message);
    }
    const model = await loadModel(dir);
    try {
      return new ActionMap(cfg, model);
    } catch (err) {
      model.dispose();
      throw new CheckpointError(`checkpoint ${dir}: ${(err as Error).message}`);
    }
  }
  const table = meta.codeTable;
  if (Array.isArray(table) && table.length > 0 && table.every((r) => Array.isArray(r) && r.length === (table[0] as unknown[]).length)) {
    return new TableActionMap(table as number[][]);
  }
  throw new CheckpointError(`checkpoint ${dir} is not an action map (checkpoint.json kind ${String(meta.kind)}, no config or codeTable)`);
}
