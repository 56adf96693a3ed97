// The action map in Node: load a checkpoint folder written by stage 4 (npm run stage:train-action-map)
// as an ActionToCode. A checkpoint that holds only a fixed `codeTable` (a hand-made stand-in) loads
// as a table.
import { ActionMap, actionMapConfigFromMeta, isMlpActionMeta, tableActionMapFromMeta, type ActionToCode } from '../models/action-map';
import { CheckpointError, loadModel, readCheckpointMeta } from '../models/checkpoint';

/** An action-map checkpoint folder as an ActionToCode; CheckpointError (user-facing) when it is not one. */
export async function loadActionMap(dir: string): Promise<ActionToCode> {
  const meta = readCheckpointMeta(dir);
  if (!isMlpActionMeta(meta)) {
    try {
      return tableActionMapFromMeta(meta, `checkpoint ${dir}`);
    } catch (err) {
      throw new CheckpointError((err as Error).message);
    }
  }
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
