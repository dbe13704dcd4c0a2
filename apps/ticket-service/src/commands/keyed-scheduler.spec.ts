import { KeyedScheduler } from './keyed-scheduler';

/** A task that records its start and end and finishes when `finish()` is called. */
function gate(log: string[], name: string) {
  let finish!: () => void;
  let fail!: (error: Error) => void;
  const done = new Promise<string>((resolve, reject) => {
    finish = () => {
      log.push(`end ${name}`);
      resolve(name);
    };
    fail = reject;
  });
  return {
    task: () => {
      log.push(`start ${name}`);
      return done;
    },
    finish: () => finish(),
    fail: (error: Error) => fail(error),
  };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('KeyedScheduler', () => {
  describe('when tasks share a key', () => {
    it('runs them one after another in the order they were scheduled', async () => {
      const log: string[] = [];
      const scheduler = new KeyedScheduler();
      const [a1, a2] = [gate(log, 'a1'), gate(log, 'a2')];
      const results = [scheduler.run('a', a1.task), scheduler.run('a', a2.task)];
      await tick();
      expect(log).toEqual(['start a1']);
      a2.finish(); // finishing the second early changes nothing: it has not started
      await tick();
      expect(log).toEqual(['start a1', 'end a2']);
      a1.finish();
      expect(await Promise.all(results)).toEqual(['a1', 'a2']);
      expect(log.slice(0, 3)).toEqual(['start a1', 'end a2', 'end a1']);
      expect(log).toContain('start a2');
      expect(log.indexOf('start a2')).toBeGreaterThan(log.indexOf('end a1'));
    });

    it('does not run the tasks behind a failed one: they reject with its error', async () => {
      const log: string[] = [];
      const scheduler = new KeyedScheduler();
      const [a1, a2] = [gate(log, 'a1'), gate(log, 'a2')];
      const first = scheduler.run('a', a1.task);
      const second = scheduler.run('a', a2.task);
      await tick();
      a1.fail(new Error('store down'));
      await expect(first).rejects.toThrow('store down');
      await expect(second).rejects.toThrow('store down');
      expect(log).toEqual(['start a1']);
    });

    it('forgets a key once its tasks have settled, so a later task starts afresh', async () => {
      const scheduler = new KeyedScheduler();
      await expect(scheduler.run('a', () => Promise.reject(new Error('once')))).rejects.toThrow('once');
      await tick();
      expect(scheduler.activeKeys).toBe(0);
      await expect(scheduler.run('a', async () => 'again')).resolves.toBe('again');
    });
  });

  describe('when tasks have different keys', () => {
    it('runs them concurrently', async () => {
      const log: string[] = [];
      const scheduler = new KeyedScheduler();
      const [a, b] = [gate(log, 'a'), gate(log, 'b')];
      const results = [scheduler.run('a', a.task), scheduler.run('b', b.task)];
      await tick();
      expect(log).toEqual(['start a', 'start b']);
      b.finish();
      a.finish();
      expect(await Promise.all(results)).toEqual(['a', 'b']);
    });
  });
});
