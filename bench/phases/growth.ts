import { Growth, growthRatios } from '../lib/growth';
import type { Templates } from '../lib/templates';
import { uniqueSpace } from '../lib/workload';
import { guarded, type BenchContext } from './context';

/**
 * The growth phase: the services' live `tickets` read model grown by bulk insert in a space of its own to
 * `mode.growth.sizes[0]` then `[1]` documents, the gateway's reads and the read-your-writes wait timed at
 * both sizes (lib/growth.ts); the documents are removed at the end.
 */
export async function runGrowth(ctx: BenchContext, templates: Templates): Promise<void> {
  const { mode, result, log } = ctx;
  const [small, large] = mode.growth.sizes;
  const space = uniqueSpace('bench_growth');
  const growth = new Growth({
    connection: ctx.mongo,
    templates,
    space,
    gatewayUrl: ctx.gatewayUrl,
    token: ctx.token,
    commandSpace: ctx.space,
  });
  const fresh = result.system.fresh;
  await guarded(ctx, 'growth', async () => {
    try {
      await growth.ensureIndexes();
      const inserts = [];
      log(`growth: ${small} ticket documents into space ${space} of the live tickets collection`);
      inserts.push(await growth.growTo(small));
      const atSmall = await growth.measure(mode.growth);
      log(
        `growth at ${small}: point read p50 ${atSmall.point_read_ms?.p50} ms, search ${atSmall.search_ms?.p50} ms, counters ${atSmall.counters_ms?.p50} ms, summary ${atSmall.summary_ms?.p50} ms, read-your-writes ${atSmall.read_your_writes_ms?.p50} ms`,
      );
      log(`growth: to ${large} documents (bulk insert, ${inserts[0].per_s} documents/s so far)`);
      inserts.push(await growth.growTo(large));
      const atLarge = await growth.measure(mode.growth);
      log(
        `growth at ${large}: point read p50 ${atLarge.point_read_ms?.p50} ms, search ${atLarge.search_ms?.p50} ms, counters ${atLarge.counters_ms?.p50} ms, summary ${atLarge.summary_ms?.p50} ms, read-your-writes ${atLarge.read_your_writes_ms?.p50} ms`,
      );
      result.growth = {
        where: `the services' live tickets collection (${result.system.read_model.database}.${result.system.read_model.tickets_collection}) and its ticket_counters, space ${space}${fresh ? ' (fresh database, dropped at the end)' : ' (removed at the end)'}`,
        space,
        search: { criteria: growth.criteria, page: { limit: 10 } },
        inserts,
        small: atSmall,
        large: atLarge,
        ratios: growthRatios(atSmall, atLarge),
        removed: !fresh,
      };
    } finally {
      if (!fresh) {
        log(`growth: removing the ${large} documents of ${space}`);
        await growth.remove().catch((error: Error) => log(`growth: removal failed: ${error.message}`));
      }
    }
  });
}
