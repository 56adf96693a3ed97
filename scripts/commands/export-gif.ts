// `npm run export:gif -- <episode> [--from N --to N --scale 2 --out clip.gif]`: a shareable clip.
import type { CommandModule } from 'yargs';
import { writeGif } from '../../pipeline/gif';
import { UserError } from '../../pipeline/errors';
import { episodeFrames, resolveEpisode } from '../../pipeline/recording';

interface Args {
  episode: string;
  from: number;
  to?: number;
  scale: number;
  fps?: number;
  out?: string;
}

export const exportGifCommand: CommandModule<object, Args> = {
  command: 'export-gif <episode>',
  describe: 'Write frames of a recorded episode as an animated GIF',
  builder: (yargs) =>
    yargs
      .positional('episode', { type: 'string', demandOption: true, describe: 'A recorded episode: its .json sidecar, .mkv video or .preview.mp4' })
      .option('from', { type: 'number', default: 0, describe: 'First frame (inclusive)' })
      .option('to', { type: 'number', describe: 'End frame (exclusive; default: the end of the episode)' })
      .option('scale', { type: 'number', default: 2, describe: 'Integer upscaling (nearest neighbour)' })
      .option('fps', { type: 'number', describe: "Playback frame rate (default: the episode's, 15 at frame skip 4)" })
      .option('out', { type: 'string', describe: 'GIF path (default: beside the episode, episode-NNNNN[-FROM-TO].gif)' }),
  handler: async (args) => {
    const ep = resolveEpisode(args.episode);
    const frames = ep.sidecar.frames;
    const to = Math.min(args.to ?? frames, frames);
    if (!Number.isInteger(args.from) || args.from < 0 || args.from >= frames) throw new UserError(`--from must be an integer in 0..${frames - 1}, not ${args.from}`);
    if (!Number.isInteger(to) || to <= args.from) throw new UserError(`--to must be an integer > --from (${args.from}), not ${args.to}`);
    if (!Number.isInteger(args.scale) || args.scale < 1 || args.scale > 8) throw new UserError(`--scale must be an integer in 1..8, not ${args.scale}`);
    const stem = ep.sidecarPath.replace(/\.json$/, '');
    const out = args.out ?? (args.from === 0 && to === frames ? `${stem}.gif` : `${stem}-${args.from}-${to}.gif`);
    const r = await writeGif(out, episodeFrames(ep, { from: args.from, to }), { scale: args.scale, fps: args.fps ?? ep.sidecar.fps, width: ep.sidecar.width, height: ep.sidecar.height });
    console.log(`wrote ${out}: ${r.frames} frames, ${(r.bytes / 1024).toFixed(0)} KiB`);
  },
};
