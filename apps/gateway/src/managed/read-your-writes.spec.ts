import type { AppConfig } from '@tickets/config';
import { ValidationError } from '@tickets/domain';
import type { TicketsReadModel } from '@tickets/read-models';
import type { CommandBus } from '../commands/command-bus';
import { ReadYourWrites } from './read-your-writes';

const key = { space_name: 'acme', subpath: 'tickets', shortname: 't1' };

function readYourWrites(lastPosition: bigint | undefined, reaches: boolean) {
  const waited: bigint[] = [];
  const tickets = {
    waitForPosition: async (_key: unknown, position: bigint) => {
      waited.push(position);
      return reaches;
    },
  } as unknown as TicketsReadModel;
  const bus = { lastPosition: () => lastPosition } as unknown as CommandBus;
  return { ryw: new ReadYourWrites(bus, tickets, { READ_YOUR_WRITES_TIMEOUT_MS: 10 } as AppConfig), waited };
}

describe('read your writes', () => {
  it('has nothing to wait for without a known write or min_position', async () => {
    const { ryw, waited } = readYourWrites(undefined, false);
    await expect(ryw.waitFor(key)).resolves.toEqual({ reached: true });
    expect(waited).toEqual([]);
  });

  it('reports whether the read model reached the later of the last write and min_position', async () => {
    const behind = readYourWrites(5n, false);
    await expect(behind.ryw.waitFor(key, '7')).resolves.toEqual({ reached: false, position: 7n });
    const caughtUp = readYourWrites(9n, true);
    await expect(caughtUp.ryw.waitFor(key, '7')).resolves.toEqual({ reached: true, position: 9n });
  });

  it('accepts min_position up to 15 digits and refuses more (above 2^53 positions cannot be compared) with 422', async () => {
    const { ryw } = readYourWrites(undefined, true);
    await expect(ryw.waitFor(key, '999999999999999')).resolves.toEqual({ reached: true, position: 999999999999999n });
    for (const bad of ['9007199254740993', '1'.repeat(20), '-1', '1e3', '']) {
      await expect(ryw.waitFor(key, bad)).rejects.toThrow(ValidationError);
    }
    await expect(ryw.waitFor(key, '1'.repeat(16))).rejects.toThrow(/at most 15 digits/);
  });
});
