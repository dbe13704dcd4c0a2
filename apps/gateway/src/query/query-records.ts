import { ticketView } from '@tickets/contracts';
import { ValidationError } from '@tickets/domain';
import { parsePeriod, toTicketView, type TicketDocument } from '@tickets/read-models';

/** Options of {@link ticketRecord}, after Dmart's query flags. */
export interface TicketRecordOptions {
  /** `retrieve_json_payload`: include `payload.body`. */
  readonly retrieveJsonPayload: boolean;
  /** `retrieve_attachments`: the comments under `attachments.comment`. */
  readonly retrieveAttachments?: boolean;
}

/**
 * A ticket as Dmart's query answers it, a `Record`: `{resource_type: "ticket", uuid, shortname, subpath,
 * attributes, attachments?}`, `attributes` being `ticketView` (the entry shape) without the three key fields.
 */
export function ticketRecord(doc: TicketDocument, options: TicketRecordOptions): Record<string, unknown> {
  const { uuid, shortname, subpath, ...attributes } = ticketView(doc, { retrieveJsonPayload: options.retrieveJsonPayload });
  const attachments = options.retrieveAttachments ? toTicketView(doc, { retrieveAttachments: true }).attachments : undefined;
  return { resource_type: 'ticket', uuid, shortname, subpath, attributes, ...(attachments ? { attachments } : {}) };
}

/**
 * An ISO-8601 instant of a query parameter (`from_date`, `to_date`, `as_of`); without an offset it is UTC.
 * @throws ValidationError (422) naming `name` when it is not an instant
 */
export function parseInstant(name: string, value: string): Date {
  const period = parsePeriod(value.trim());
  if (!period) throw new ValidationError(`${name} must be an ISO-8601 instant, e.g. 2025-04-28T12:00:00Z`);
  return period.start;
}

/** Attributes of a query answer: only the `ignored_*` lists that are not empty. */
export function ignoredAttributes(ignored: Readonly<Record<string, readonly string[]>>): Record<string, readonly string[]> {
  return Object.fromEntries(Object.entries(ignored).filter(([, list]) => list.length > 0));
}
