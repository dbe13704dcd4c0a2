import { newTag } from '../lib/baseline';
import { Rebuild, type BulkRun, type ReplayRun } from '../lib/rebuild';
import { ratio, spread } from '../lib/stats';
import type { Templates } from '../lib/templates';
import { guarded, type BenchContext } from './context';

/**
 * Phase 3, the rebuild: seed `mode.rebuild.events` events into a scratch schema, replay them with the real
 * runner into fresh databases, and bulk-insert the same final documents, `mode.rebuild.repeats` times.
 */
export async function runRebuild(ctx: BenchContext, templates: Templates): Promise<void> {
  const { mode, result, config, notes, log } = ctx;
  const rebuild = new Rebuild({
    pgUrl: config.POSTGRES_URL,
    mongoUri: config.MONGODB_URI,
    tag: newTag(),
    templates,
    events: mode.rebuild.events,
  });
  await guarded(ctx, 'rebuild', async () => {
    try {
      log(`rebuild: seeding ${mode.rebuild.events} events into schema ${rebuild.schema}`);
      const seed = await rebuild.seed(120_000);
      log(`rebuild: seeded ${seed.events} events in ${seed.seconds} s (${seed.per_s}/s, ${seed.method})`);
      const replays: ReplayRun[] = [];
      const bulks: BulkRun[] = [];
      for (let r = 0; r < mode.rebuild.repeats; r++) {
        replays.push(await rebuild.replay(seed.events, mode.rebuild.replay_cap_s * 1000));
        log(
          `rebuild replay ${r + 1}/${mode.rebuild.repeats}: ${replays[r].events} events, ${replays[r].events_per_s} events/s (last quarter ${replays[r].events_per_s_last_quarter ?? '-'})${replays[r].capped ? ' [time-capped]' : ''}`,
        );
        bulks.push(await rebuild.bulk(seed.events, mode.rebuild.bulk_cap_s * 1000));
        log(
          `rebuild bulk ${r + 1}/${mode.rebuild.repeats}: ${bulks[r].documents} documents, ${bulks[r].events_equivalent_per_s} events-equivalent/s${bulks[r].capped ? ' [time-capped]' : ''}`,
        );
      }
      const replayRate = spread(replays.map((x) => x.events_per_s));
      const bulkRate = spread(bulks.map((x) => x.events_equivalent_per_s));
      result.rebuild = {
        events: seed.events,
        seed,
        replay: {
          runs: replays,
          events_per_s: replayRate,
          events_per_s_last_quarter: spread(replays.map((x) => x.events_per_s_last_quarter)),
        },
        bulk: { runs: bulks, events_equivalent_per_s: bulkRate },
        ratio: ratio(replayRate?.median, bulkRate?.median),
      };
      if (replays.some((x) => x.capped)) {
        notes.push(
          `Rebuild replays were time-capped at ${mode.rebuild.replay_cap_s} s: events/s is over the events replayed in that time (the first part of the ${seed.events}); ` +
            `the whole replay would take ~${spread(replays.map((x) => x.projected_total_s))?.median} s at that rate.`,
        );
      }
      if (bulks.some((x) => x.capped))
        notes.push(
          `Bulk inserts were time-capped at ${mode.rebuild.bulk_cap_s} s; their rate is over the documents inserted.`,
        );
    } finally {
      await rebuild.teardown();
    }
  });
}
