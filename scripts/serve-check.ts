// npm run eval:serves -- [--action-map DIR] [--world-model DIR] [--wait 8] [--steps 150] [--no-serve-rule]
//
// Does FIRE serve a new ball in the neural game? From each start frame it plays --steps steps: NOOP
// while a ball shows; once it is gone, NOOP for --wait more steps, then FIRE until a ball shows. In the
// real game a lost ball's life goes on the 8th step after the ball left and FIRE serves from then
// (README, "The ball clock"), hence the default wait. A ball that shows again before FIRE was pressed
// is counted apart: the model drew it back by itself (a ball among the bricks, or a flicker).
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { fieldBall } from '../pipeline/breakout-decode';
import { rgbToClasses } from '../pipeline/frame-classes';
import { loadNeuralEnv } from '../play/neural-env';

const NOOP = 0, FIRE = 1;

const args = yargs(hideBin(process.argv))
  .option('world-model', { type: 'string', default: 'checkpoints/world-model', describe: 'World model checkpoint folder' })
  .option('action-map', { type: 'string', default: 'checkpoints/action-map', describe: 'Action map checkpoint folder' })
  .option('wait', { type: 'number', default: 8, describe: 'Steps of NOOP after the ball left before FIRE is pressed' })
  .option('serve-rule', { type: 'boolean', default: true, describe: "The players' serve rule: only FIRE serves a new ball (--no-serve-rule: the map alone)" })
  .option('steps', { type: 'number', default: 150, describe: 'Steps played from each start' })
  .check((a) => (Number.isInteger(a.wait) && a.wait >= 0 && Number.isInteger(a.steps) && a.steps > 0) || 'wait must be an integer >= 0, steps > 0')
  .strict()
  .help()
  .parseSync();

async function main(): Promise<void> {
  const { game, description } = await loadNeuralEnv({ worldModel: args.worldModel, actionMap: args.actionMap, serveRule: args.serveRule });
  console.log(`${description}; NOOP for ${args.wait} steps after the ball leaves, then FIRE (serve rule ${args.serveRule ? 'on' : 'off'})`);
  console.log('start  lost  served  back without FIRE  steps without a ball');
  const total = { lost: 0, served: 0, back: 0, without: 0 };
  for (let start = 0; ; start++) {
    let frame: Uint8Array;
    try { frame = rgbToClasses(game.reset({ start }).observation); } catch (e) { if (e instanceof RangeError) break; throw e; }
    const row = { lost: 0, served: 0, back: 0, without: 0 };
    let gone = 0; // steps since the ball left (0 while it shows)
    for (let t = 0; t < args.steps; t++) {
      const had = fieldBall(frame) !== null;
      const action = !had && gone >= args.wait ? FIRE : NOOP;
      frame = rgbToClasses(game.step(action).observation);
      const has = fieldBall(frame) !== null;
      if (had && !has) row.lost++;
      if (!had && has) row[action === FIRE ? 'served' : 'back']++;
      gone = has ? 0 : gone + 1;
      if (!has) row.without++;
    }
    for (const k of ['lost', 'served', 'back', 'without'] as const) total[k] += row[k];
    console.log(`${String(start).padStart(5)}  ${String(row.lost).padStart(4)}  ${String(row.served).padStart(6)}  ${String(row.back).padStart(17)}  ${String(row.without).padStart(20)}`);
  }
  console.log(`  all  ${String(total.lost).padStart(4)}  ${String(total.served).padStart(6)}  ${String(total.back).padStart(17)}  ${String(total.without).padStart(20)}`);
}

main().catch((e) => { console.error(e instanceof Error ? e.message : e); process.exit(1); });
