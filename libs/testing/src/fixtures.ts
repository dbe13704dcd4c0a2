/**
 * A realistic support workflow (TICKETS.md section 2 form): agents and supervisors, resolutions as strings
 * and as translated objects, a reopen path, and closed states (no outgoing transitions).
 */
export const SUPPORT_WORKFLOW = {
  name: 'Support request',
  illustration: 'draft -> in_progress -> resolved / rejected; resolved -> reopened; supervisors close',
  initial_state: [
    { name: 'triage', roles: ['supervisor'] },
    { name: 'draft', roles: ['default'] },
  ],
  states: [
    {
      name: 'Draft',
      state: 'draft',
      next: [
        { action: 'start', state: 'in_progress', roles: ['agent', 'supervisor'] },
        { action: 'reject', state: 'rejected', roles: ['supervisor'] },
      ],
      resolutions: [],
    },
    {
      name: 'Triage',
      state: 'triage',
      next: [{ action: 'start', state: 'in_progress', roles: ['agent', 'supervisor'] }],
      resolutions: [],
    },
    {
      name: 'In progress',
      state: 'in_progress',
      next: [
        { action: 'resolve', state: 'resolved', roles: ['agent', 'supervisor'] },
        { action: 'reject', state: 'rejected', roles: ['supervisor'] },
      ],
      resolutions: [],
    },
    {
      name: 'Resolved',
      state: 'resolved',
      next: [
        { action: 'reopen', state: 'in_progress', roles: ['logged_in'] },
        { action: 'close', state: 'closed', roles: ['supervisor'] },
      ],
      resolutions: [
        { key: 'fixed', en: 'Fixed' },
        { key: 'workaround', en: 'Workaround given', ar: 'حل مؤقت' },
      ],
    },
    { name: 'Rejected', state: 'rejected', next: [], resolutions: ['duplicate', 'invalid'] },
    { name: 'Closed', state: 'closed', resolutions: ['done'] },
  ],
};

/** A draft-7 payload schema: `priority` must be an integer 1-5 when present. */
export const TICKET_PAYLOAD_SCHEMA = {
  type: 'object',
  properties: {
    priority: { type: 'integer', minimum: 1, maximum: 5 },
    summary: { type: 'string', maxLength: 200 },
  },
  additionalProperties: true,
};
