import type { CommandResult } from '@tickets/contracts';

/**
 * The one serialisation of every published result: the same value with every object's keys in code-point
 * order, recursively. A first answer is built in memory while a redelivery's answer may come back from the
 * store (PostgreSQL's jsonb reorders keys), so without it the same result could go out as different bytes
 * (ARCHITECTURE.md "Kafka contract": a redelivered command returns the same result). Arrays keep their
 * order; `undefined` members are dropped, as JSON does.
 */
export function canonicalResult(result: CommandResult): CommandResult {
  return sortKeys(result) as CommandResult;
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== 'object') return value;
  const sorted: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) {
    const member = (value as Record<string, unknown>)[key];
    if (member !== undefined) sorted[key] = sortKeys(member);
  }
  return sorted;
}
