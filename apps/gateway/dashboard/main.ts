/// <reference lib="dom" />
/**
 * The ops dashboard (served by the gateway at `/dashboard`, bundled by `npm run build:dashboard` (esbuild)). It reads
 * only the gateway's API with the signed-in user's bearer token: counters and the first page of tickets for
 * the first view (both indexed reads), then the charts; afterwards everything moves through two
 * Server-Sent-Event streams, `/live/{space}` (counter deltas, ticket changes) and `/ops/status/stream`
 * (system health), which reconnect by themselves. No polling.
 */
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
} from 'chart.js';

Chart.register(
  BarController,
  BarElement,
  CategoryScale,
  LinearScale,
  Legend,
  Tooltip,
  LineController,
  LineElement,
  PointElement,
);

type Dimension = 'all' | 'state' | 'owner' | 'group' | 'workflow';
interface Counter {
  open: number;
  closed: number;
  last_position: bigint;
}
interface TicketRecord {
  shortname: string;
  subpath: string;
  attributes: Record<string, unknown> & { state?: string; is_open?: boolean; workflow_shortname?: string };
}

const TOKEN_KEY = 'tickets.dashboard.token';
const SPACE_KEY = 'tickets.dashboard.space';
/** Time after a change before the list, charts and panel are read again (coalesces bursts), in ms. */
const REFRESH_DELAY_MS = 150;
const PAGE_SIZE = 25;
/** Search term per counter dimension (the ticket list a count links to). */
const DIMENSION_FIELD: Record<Exclude<Dimension, 'all'>, string> = {
  state: 'state',
  owner: 'owner_shortname',
  group: 'owner_group_shortname',
  workflow: 'workflow_shortname',
};

const $ = <T extends HTMLElement = HTMLElement>(id: string): T => {
  const element = document.getElementById(id);
  if (!element) throw new Error(`#${id} missing`);
  return element as T;
};

/** An element with text children only (user data never becomes markup). */
function h(
  tag: string,
  props: Record<string, string> = {},
  ...children: (Node | string | null)[]
): HTMLElement {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === 'class') element.className = value;
    else element.setAttribute(key, value);
  }
  for (const child of children) if (child !== null) element.append(child);
  return element;
}

const state = {
  token: '',
  user: '',
  roles: [] as string[],
  space: '',
  counters: new Map<string, Counter>(),
  cursor: null as string | null,
  listQuery: '',
  panel: null as { subpath: string; shortname: string } | null,
  asOf: '',
  charts: { aging: null as Chart | null, throughput: null as Chart | null },
  streams: [] as Stream[],
  refreshTimer: 0 as number,
  /** Tickets changed since the list was last read (highlighted when it is). */
  fresh: new Set<string>(),
  firstViewAt: 0,
};

// ---------------------------------------------------------------- API

class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(path, {
    method,
    headers: {
      authorization: `Bearer ${state.token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = (await response.json().catch(() => null)) as { error?: { message?: string } } | null;
  if (!response.ok) throw new ApiError(response.status, json?.error?.message ?? `HTTP ${response.status}`);
  return json as T;
}

const enc = encodeURIComponent;
const ticketPath = (subpath: string, shortname: string) =>
  `/tickets/${enc(state.space)}/${subpath.split('/').filter(Boolean).map(enc).join('/')}/${enc(shortname)}`;

// ---------------------------------------------------------------- sign-in

/** The claims of a JWT (not verified here: the gateway verifies every call). */
function claimsOf(token: string): { sub?: string; roles?: string[]; exp?: number } | null {
  try {
    const part = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    return JSON.parse(atob(part)) as { sub?: string; roles?: string[] };
  } catch {
    return null;
  }
}

async function signIn(token: string): Promise<void> {
  const claims = claimsOf(token);
  if (!claims?.sub) throw new Error('this is not a bearer token (a JWT with a "sub" claim)');
  state.token = token;
  await api('GET', '/ops/status'); // checks the token with the gateway (401 otherwise)
  state.user = claims.sub;
  state.roles = claims.roles ?? [];
  sessionStorage.setItem(TOKEN_KEY, token);
  $('sign-in').hidden = true;
  $('space-form').hidden = false;
  $('sign-out').hidden = false;
  $('who').textContent = `${state.user}${state.roles.length ? ` (${state.roles.join(', ')})` : ''}`;
  openStatusStream();
  const space = new URLSearchParams(location.search).get('space') ?? localStorage.getItem(SPACE_KEY) ?? '';
  $<HTMLInputElement>('space-input').value = space;
  if (space) await openSpace(space);
  else $('space-input').focus();
}

function signOut(): void {
  sessionStorage.removeItem(TOKEN_KEY);
  location.href = location.pathname;
}

/**
 * The sign-in methods: the token form always; the user name and password form only when the gateway has
 * `POST /user/login` (Dmart's login), as its OpenAPI document says (a probe answered 404 would log an error).
 */
async function offerPasswordSignIn(): Promise<void> {
  try {
    const document = (await (await fetch('/docs-json')).json()) as {
      paths?: Record<string, { post?: unknown }>;
    };
    $('password-form').hidden = !document.paths?.['/user/login']?.post;
  } catch {
    $('password-form').hidden = true;
  }
}

async function passwordSignIn(shortname: string, password: string): Promise<void> {
  const response = await fetch('/user/login', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ shortname, password }),
  });
  const json = (await response.json().catch(() => null)) as {
    records?: { attributes?: { access_token?: string } }[];
    error?: { message?: string };
  } | null;
  const token = json?.records?.[0]?.attributes?.access_token;
  if (!response.ok || !token)
    throw new Error(json?.error?.message ?? `login failed (HTTP ${response.status})`);
  await signIn(token);
}

// ---------------------------------------------------------------- live streams

type StreamState = 'connecting' | 'open' | 'lost';

/** An EventSource that reopens itself after a loss (1 s, then up to 5 s between tries) and reports its state. */
class Stream {
  private source: EventSource | null = null;
  private retryMs = 1000;
  private closed = false;
  state: StreamState = 'connecting';

  constructor(
    private readonly url: () => string,
    private readonly handlers: Record<string, (data: unknown) => void>,
    private readonly onState: () => void,
    private readonly onReopen: () => void,
  ) {
    this.connect(false);
  }

  close(): void {
    this.closed = true;
    this.source?.close();
  }

  private connect(reopened: boolean): void {
    const source = new EventSource(this.url());
    this.source = source;
    source.onopen = () => {
      this.retryMs = 1000;
      this.set('open');
      if (reopened) this.onReopen();
    };
    for (const [type, handle] of Object.entries(this.handlers)) {
      source.addEventListener(type, (event) => handle(JSON.parse((event as MessageEvent<string>).data)));
    }
    source.onerror = () => {
      source.close();
      if (this.closed) return;
      this.set('lost');
      setTimeout(() => !this.closed && this.connect(true), this.retryMs);
      this.retryMs = Math.min(5000, this.retryMs * 2);
    };
  }

  private set(next: StreamState): void {
    this.state = next;
    this.onState();
  }
}

function showStreamState(): void {
  const pill = $('live-state');
  pill.hidden = state.streams.length === 0;
  const lost = state.streams.some((s) => s.state === 'lost');
  const connecting = state.streams.some((s) => s.state === 'connecting');
  pill.textContent = lost ? 'Connection lost – reconnecting…' : connecting ? 'Connecting…' : 'Live';
  pill.classList.toggle('down', lost);
  pill.dataset.state = lost ? 'lost' : connecting ? 'connecting' : 'live';
  updateBanner();
}

let statusStream: Stream | null = null;
let lastStatus: SystemStatus | null = null;

function openStatusStream(): void {
  statusStream?.close();
  statusStream = new Stream(
    () => `/ops/status/stream?access_token=${enc(state.token)}`,
    { status: (data) => renderStatus(data as SystemStatus) },
    showStreamState,
    () => undefined,
  );
  state.streams = [statusStream, ...state.streams.filter((s) => s !== statusStream)];
}

// ---------------------------------------------------------------- space: counters, charts, list

async function openSpace(space: string): Promise<void> {
  if (!/^[A-Za-z0-9_]{1,64}$/.test(space)) return;
  const started = performance.now();
  state.space = space;
  localStorage.setItem(SPACE_KEY, space);
  history.replaceState(null, '', `${location.pathname}?space=${enc(space)}`);
  $('space-name').textContent = space;
  $('board').hidden = false;
  closePanel();
  for (const stream of state.streams.filter((s) => s !== statusStream)) stream.close();
  state.streams = statusStream ? [statusStream] : [];
  // First view: the counters (one indexed read) and the first page of tickets (an indexed page).
  await Promise.all([loadCounters(), loadList(true)]);
  state.firstViewAt = performance.now() - started;
  document.body.dataset.firstViewMs = String(Math.round(state.firstViewAt));
  const live = new Stream(
    () => `/live/${enc(state.space)}?access_token=${enc(state.token)}`,
    {
      snapshot: (data) => applySnapshot(data as Snapshot),
      counters: (data) => applyDeltas(data as Deltas),
      ticket: (data) => onTicketEvent(data as TicketEvent),
    },
    showStreamState,
    // Changes made while the stream was down: the snapshot restores the counters; read the rest again.
    () => scheduleRefresh(),
  );
  state.streams.push(live);
  showStreamState();
  void loadActivity();
}

interface Snapshot {
  counters: {
    dimension: Dimension;
    key: string;
    open: number;
    closed: number;
    last_position: string | number;
  }[];
}
interface Deltas {
  position: string;
  deltas: { dimension: Dimension; key: string; open: number; closed: number }[];
}
interface TicketEvent {
  shortname: string;
  subpath: string;
  event_type: string;
}

async function loadCounters(): Promise<void> {
  const answer = await api<{ attributes: { counters: Record<Dimension, unknown> } }>(
    'POST',
    '/managed/query',
    {
      type: 'counters',
      space_name: state.space,
      subpath: '/',
    },
  );
  const counters = answer.attributes.counters as { all: { open: number; closed: number } } & Record<
    string,
    Record<string, { open: number; closed: number }>
  >;
  state.counters.clear();
  state.counters.set('all|*', { ...counters.all, last_position: -1n });
  for (const dimension of ['state', 'owner', 'group', 'workflow'] as const) {
    for (const [key, value] of Object.entries(counters[dimension] ?? {})) {
      state.counters.set(`${dimension}|${key}`, {
        open: value.open,
        closed: value.closed,
        last_position: -1n,
      });
    }
  }
  renderCounters();
}

function applySnapshot(snapshot: Snapshot): void {
  state.counters.clear();
  state.counters.set('all|*', { open: 0, closed: 0, last_position: -1n });
  for (const c of snapshot.counters) {
    state.counters.set(`${c.dimension}|${c.key}`, {
      open: c.open,
      closed: c.closed,
      last_position: BigInt(c.last_position ?? -1),
    });
  }
  renderCounters();
}

/** A delta counts only when its event is newer than the counter's snapshot (the stream's rule). */
function applyDeltas(change: Deltas): void {
  const position = BigInt(change.position);
  for (const d of change.deltas) {
    const key = `${d.dimension}|${d.key}`;
    const counter = state.counters.get(key) ?? { open: 0, closed: 0, last_position: -1n };
    if (position <= counter.last_position) continue;
    state.counters.set(key, {
      open: counter.open + d.open,
      closed: counter.closed + d.closed,
      last_position: position,
    });
  }
  renderCounters();
}

function onTicketEvent(event: TicketEvent): void {
  // Exposed for the browser tests: the page's own share of the latency (event in -> list shown).
  document.body.dataset.lastTicketEventAt = String(Date.now());
  scheduleRefresh(event);
}

/** Reads the list's first page, the charts and the open ticket again, once, shortly after a burst of changes. */
function scheduleRefresh(event?: TicketEvent): void {
  if (event) state.fresh.add(event.shortname);
  clearTimeout(state.refreshTimer);
  state.refreshTimer = window.setTimeout(() => {
    void loadList(true).catch(showError);
    void loadActivity();
    if (state.panel && (!event || event.shortname === state.panel.shortname) && !state.asOf)
      void loadPanel().catch(showError);
  }, REFRESH_DELAY_MS);
}

function renderCounters(): void {
  const all = state.counters.get('all|*') ?? { open: 0, closed: 0 };
  document.querySelector('#open-total .n')!.textContent = String(all.open);
  document.querySelector('#closed-total .n')!.textContent = String(all.closed);
  for (const dimension of Object.keys(DIMENSION_FIELD) as (keyof typeof DIMENSION_FIELD)[]) {
    const rows = [...state.counters.entries()]
      .filter(([key, c]) => key.startsWith(`${dimension}|`) && (c.open !== 0 || c.closed !== 0))
      .map(([key, c]) => ({ key: key.slice(dimension.length + 1), ...c }))
      .sort((a, b) => b.open - a.open || a.key.localeCompare(b.key));
    const table = $(`counts-${dimension}`);
    table.replaceChildren(
      h('tr', {}, h('th', {}, ''), h('th', { class: 'num' }, 'open'), h('th', { class: 'num' }, 'closed')),
      ...rows.map((row) => {
        const search = `@${DIMENSION_FIELD[dimension]}:${quote(row.key)}`;
        const link = h(
          'button',
          { type: 'button', 'data-search': search, 'data-testid': `count-${dimension}-${row.key}` },
          row.key,
        );
        return h(
          'tr',
          {},
          h('td', {}, link),
          h('td', { class: 'num', 'data-testid': `count-${dimension}-${row.key}-open` }, String(row.open)),
          h('td', { class: 'num' }, String(row.closed)),
        );
      }),
    );
    if (rows.length === 0) table.append(h('tr', {}, h('td', { colspan: '3', class: 'note' }, 'none')));
  }
}

/** A search value, quoted when it holds characters the syntax reads. */
const quote = (value: string) =>
  /^[A-Za-z0-9_.-]+$/.test(value) ? value : `"${value.replace(/(["\\])/g, '\\$1')}"`;

function listParams(): URLSearchParams {
  const form = $<HTMLFormElement>('search-form');
  const data = new FormData(form);
  const params = new URLSearchParams({ space_name: state.space, limit: String(PAGE_SIZE) });
  const search = String(data.get('search') ?? '').trim();
  const subpath = String(data.get('subpath') ?? '/').trim() || '/';
  if (search) params.set('search', search);
  params.set('subpath', subpath);
  if (data.get('from_date')) params.set('from_date', `${data.get('from_date')}T00:00:00`);
  if (data.get('to_date')) params.set('to_date', `${data.get('to_date')}T23:59:59.999`);
  params.set('order', String(data.get('order') ?? 'desc'));
  return params;
}

/** Sequence numbers of the reads in flight: only the latest one's answer is shown (answers may overtake). */
const sequence = { list: 0, panel: 0 };

async function loadList(first: boolean): Promise<void> {
  const seq = ++sequence.list;
  const params = listParams();
  if (!first && state.cursor) params.set('cursor', state.cursor);
  const query = params.toString();
  const answer = await api<{
    records: TicketRecord[];
    attributes: { next_cursor: string | null; ignored_fields?: string[]; ignored_terms?: string[] };
  }>('GET', `/tickets?${query}`);
  if (seq !== sequence.list) return;
  const body = document.querySelector('#tickets tbody')!;
  if (first) body.replaceChildren();
  for (const record of answer.records) body.append(ticketRow(record));
  if (first) state.fresh.clear();
  if (first && answer.records.length === 0)
    body.append(h('tr', {}, h('td', { colspan: '6', class: 'note' }, 'No ticket matches.')));
  state.cursor = answer.attributes.next_cursor;
  $('more').hidden = !state.cursor;
  document.body.dataset.listShownAt = String(Date.now());
  const ignored = [...(answer.attributes.ignored_fields ?? []), ...(answer.attributes.ignored_terms ?? [])];
  $('list-note').textContent =
    `${body.querySelectorAll('tr[data-shortname]').length} shown${state.cursor ? ', more on the next page' : ''}${
      ignored.length ? `; ignored: ${ignored.join(', ')}` : ''
    }`;
}

function ticketRow(record: TicketRecord): HTMLElement {
  const a = record.attributes;
  const title = (a.displayname as Record<string, string> | undefined)?.en;
  const open = h(
    'button',
    { type: 'button', class: 'link', 'data-open': `${record.subpath}|${record.shortname}` },
    record.shortname,
  );
  const row = h(
    'tr',
    { 'data-shortname': record.shortname, class: state.fresh.has(record.shortname) ? 'fresh' : '' },
    h('td', {}, open, title ? ` ${title}` : ''),
    h('td', { 'data-testid': 'state' }, `${a.state ?? ''}${a.is_open === false ? ' (closed)' : ''}`),
    h('td', {}, String(a.owner_shortname ?? '')),
    h('td', {}, String(a.owner_group_shortname ?? '')),
    h('td', {}, String(a.workflow_shortname ?? '')),
    h('td', {}, formatTime(a.created_at)),
  );
  return row;
}

const formatTime = (value: unknown) => (typeof value === 'string' ? new Date(value).toLocaleString() : '');

async function loadActivity(): Promise<void> {
  try {
    const answer = await api<{
      attributes: {
        open_age: { bucket: string; count: number }[];
        per_hour: { hour: string; created: number; closed: number }[];
      };
    }>('GET', `/dashboards/${enc(state.space)}/activity?hours=24`);
    const { open_age, per_hour } = answer.attributes;
    const hours = per_hour.map((p) =>
      new Date(p.hour).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }),
    );
    state.charts.aging = drawChart(
      state.charts.aging,
      'aging-chart',
      'bar',
      open_age.map((b) => b.bucket),
      [{ label: 'open tickets', data: open_age.map((b) => b.count), backgroundColor: '#0b5cad' }],
    );
    state.charts.throughput = drawChart(state.charts.throughput, 'throughput-chart', 'line', hours, [
      {
        label: 'created',
        data: per_hour.map((p) => p.created),
        borderColor: '#0b5cad',
        backgroundColor: '#0b5cad',
      },
      {
        label: 'closed',
        data: per_hour.map((p) => p.closed),
        borderColor: '#16a34a',
        backgroundColor: '#16a34a',
      },
    ]);
    $('aging-chart').dataset.values = open_age.map((b) => b.count).join(',');
    $('throughput-chart').dataset.created = String(per_hour.reduce((n, p) => n + p.created, 0));
  } catch (error) {
    showError(error);
  }
}

function drawChart(
  chart: Chart | null,
  id: string,
  type: 'bar' | 'line',
  labels: string[],
  datasets: { label: string; data: number[]; backgroundColor: string; borderColor?: string }[],
): Chart {
  if (chart) {
    chart.data.labels = labels;
    chart.data.datasets.forEach((d, i) => (d.data = datasets[i].data));
    chart.update('none');
    return chart;
  }
  return new Chart($<HTMLCanvasElement>(id), {
    type,
    data: { labels, datasets },
    options: {
      animation: false,
      maintainAspectRatio: false,
      scales: { y: { beginAtZero: true, ticks: { precision: 0 } } },
      plugins: { legend: { display: type === 'line' } },
    },
  });
}

// ---------------------------------------------------------------- ticket panel

async function openPanel(subpath: string, shortname: string): Promise<void> {
  state.panel = { subpath, shortname };
  state.asOf = '';
  $<HTMLInputElement>('as-of-input').value = '';
  $('panel').hidden = false;
  document.querySelector('main')!.classList.add('with-panel');
  await loadPanel();
  $('panel').focus();
}

function closePanel(): void {
  state.panel = null;
  $('panel').hidden = true;
  document.querySelector('main')!.classList.remove('with-panel');
}

async function loadPanel(): Promise<void> {
  const panel = state.panel;
  if (!panel) return;
  const seq = ++sequence.panel;
  $('panel-title').textContent = `Ticket ${panel.shortname}`;
  $('panel-error').textContent = '';
  const path = ticketPath(panel.subpath, panel.shortname);
  const [ticket, historyAnswer] = await Promise.all([
    api<{ records: TicketRecord[] }>('GET', `${path}${state.asOf ? `?as_of=${enc(state.asOf)}` : ''}`),
    api<{
      records: {
        attributes: {
          actor: string | null;
          timestamp: string;
          event_type: string;
          diff: Record<string, { old: unknown; new: unknown }>;
        };
      }[];
    }>('GET', `${path}/history`),
  ]);
  const attributes = ticket.records[0].attributes;
  const definition = attributes.workflow_shortname
    ? await workflowDefinition(attributes.workflow_shortname)
    : null;
  if (seq !== sequence.panel) return;
  const shown = [
    'state',
    'is_open',
    'resolution_reason',
    'owner_shortname',
    'owner_group_shortname',
    'workflow_shortname',
    'tags',
    'created_at',
    'updated_at',
    'revision',
    'as_of',
  ];
  $('panel-attributes').replaceChildren(
    ...shown
      .filter((key) => attributes[key] !== undefined)
      .flatMap((key) => [h('dt', {}, key), h('dd', { 'data-attr': key }, display(attributes[key]))]),
  );
  const comments = commentsOf(attributes);
  $('panel-comments').replaceChildren(
    ...(comments.length
      ? comments.map((c) => h('li', {}, `${c.author}: ${c.body}`))
      : [h('li', { class: 'note' }, 'none')]),
  );
  const history = historyAnswer.records.filter(
    (r) => !state.asOf || r.attributes.timestamp <= new Date(state.asOf).toISOString(),
  );
  $('panel-history').replaceChildren(
    ...history.map((r) =>
      h(
        'li',
        { 'data-event': r.attributes.event_type },
        h(
          'span',
          { class: 'when' },
          `${formatTime(r.attributes.timestamp)} · ${r.attributes.actor ?? 'system'} · ${r.attributes.event_type}`,
        ),
        h(
          'span',
          { class: 'diff' },
          Object.entries(r.attributes.diff)
            .filter(
              ([key]) =>
                r.attributes.event_type !== 'TicketCreated' ||
                ['state', 'owner_shortname', 'workflow_shortname'].includes(key),
            )
            .map(([key, d]) => `${key}: ${display(d.old)} → ${display(d.new)}`)
            .join('; '),
        ),
      ),
    ),
  );
  renderWorkflow(attributes, definition, panel, !state.asOf);
}

function commentsOf(attributes: Record<string, unknown>): { author: string; body: string }[] {
  const attached = (
    attributes.attachments as
      { comment?: { attributes: { owner_shortname: string; body: unknown } }[] } | undefined
  )?.comment;
  if (attached)
    return attached.map((c) => ({ author: c.attributes.owner_shortname, body: display(c.attributes.body) }));
  const raw = attributes.comments as { author?: string; body?: unknown }[] | undefined;
  return Array.isArray(raw) ? raw.map((c) => ({ author: c.author ?? '', body: display(c.body) })) : [];
}

const display = (value: unknown): string =>
  value === null || value === undefined ? '–' : typeof value === 'string' ? value : JSON.stringify(value);

interface WorkflowDefinition {
  states: {
    state: string;
    name: string;
    next: { action: string; state: string; roles: string[] }[];
    resolutions: unknown[];
  }[];
}

/** The definition of a workflow of the open space (`null` when it cannot be read). */
async function workflowDefinition(shortname: string): Promise<WorkflowDefinition | null> {
  const answer = await api<{ attributes: { definition: WorkflowDefinition } }>(
    'GET',
    `/dashboards/${enc(state.space)}/workflows/${enc(shortname)}`,
  ).catch(() => null);
  return answer?.attributes.definition ?? null;
}

function renderWorkflow(
  attributes: TicketRecord['attributes'],
  definition: WorkflowDefinition | null,
  panel: { subpath: string; shortname: string },
  actionable: boolean,
): void {
  const actions = $('panel-actions');
  actions.replaceChildren();
  const list = $('panel-workflow');
  if (!definition) return void list.replaceChildren(h('li', { class: 'current' }, attributes.state ?? ''));
  list.replaceChildren(
    ...definition.states.map((s) =>
      h(
        'li',
        {
          class: s.state === attributes.state ? 'current' : '',
          ...(s.state === attributes.state ? { 'aria-current': 'step' } : {}),
        },
        s.name || s.state,
      ),
    ),
  );
  if (!actionable) return;
  // The roles the token names; the ticket-service also grants `logged_in` and group roles and decides.
  const roles = new Set([...state.roles, 'logged_in', 'default']);
  const current = definition.states.find((s) => s.state === attributes.state);
  for (const transition of current?.next ?? []) {
    if (!transition.roles.some((r) => roles.has(r))) continue;
    const target = definition.states.find((s) => s.state === transition.state);
    const button = h(
      'button',
      { type: 'button', 'data-action': transition.action },
      `${transition.action} → ${target?.name || transition.state}`,
    );
    button.addEventListener(
      'click',
      () => void progress(panel, transition.action, target?.resolutions ?? []),
    );
    actions.append(button);
  }
}

async function progress(
  panel: { subpath: string; shortname: string },
  action: string,
  resolutions: unknown[],
): Promise<void> {
  const body: Record<string, string> = {};
  if (resolutions.length > 0) {
    const keys = resolutions.map((r) => (typeof r === 'string' ? r : String((r as { key: string }).key)));
    const resolution = prompt(`Resolution (${keys.join(', ')})`, keys[0]);
    if (resolution === null) return;
    body.resolution = resolution;
  }
  try {
    const path = `/managed/progress-ticket/${enc(state.space)}/${panel.subpath.split('/').filter(Boolean).map(enc).join('/')}/${enc(panel.shortname)}/${enc(action)}`;
    await api('PUT', path, body);
  } catch (error) {
    $('panel-error').textContent = (error as Error).message;
  }
}

// ---------------------------------------------------------------- system health

interface SystemStatus {
  generated_at: string;
  projection: {
    behind: number;
    lag_ms: number;
    stalled: boolean;
    warning: boolean;
    position: string | null;
    head_position: string | null;
    error: string | null;
  };
  dead_letters: { count: number | null; error: string | null };
  services: {
    name: string;
    status: string;
    details: Record<string, { status?: string }> | null;
    error: string | null;
  }[];
}

function renderStatus(status: SystemStatus): void {
  // The read models caught up after a lag: what the page read meanwhile may be old, read it again.
  if (lastStatus?.projection.warning && !status.projection.warning && state.space) scheduleRefresh();
  lastStatus = status;
  const p = status.projection;
  const rows: [string, string, string][] = [
    [
      'Projection lag',
      p.error ? `unknown (${p.error})` : `${p.lag_ms} ms, ${p.behind} event(s) behind`,
      p.warning ? 'warn' : 'up',
    ],
    [
      'Checkpoint',
      `${p.position ?? '–'} of ${p.head_position ?? '–'}${p.stalled ? ' – stalled' : ''}`,
      p.stalled ? 'warn' : 'up',
    ],
    [
      'Dead-lettered commands',
      p.error && status.dead_letters.count === null
        ? `unknown (${status.dead_letters.error})`
        : String(status.dead_letters.count ?? `unknown (${status.dead_letters.error})`),
      status.dead_letters.count ? 'warn' : 'up',
    ],
    ...status.services.map((s): [string, string, string] => [
      s.name,
      `${s.status}${
        s.details
          ? ` (${Object.entries(s.details)
              .map(([k, v]) => `${k}: ${v.status ?? '?'}`)
              .join(', ')})`
          : ''
      }${s.error && s.status !== 'up' ? ` – ${s.error}` : ''}`,
      s.status,
    ]),
  ];
  $('health').replaceChildren(
    ...rows.flatMap(([label, text, cls]) => [
      h('dt', {}, label),
      h('dd', { class: cls, 'data-health': label }, text),
    ]),
  );
  updateBanner();
}

function updateBanner(): void {
  const messages: string[] = [];
  if (state.streams.some((s) => s.state === 'lost'))
    messages.push('Connection to the gateway lost – reconnecting…');
  const status = lastStatus;
  if (status?.projection.warning) {
    const down = status.services.find((s) => s.name === 'projection-service' && s.status !== 'up');
    messages.push(
      `Projection lag: ${status.projection.lag_ms} ms (${status.projection.behind} event(s) behind)` +
        `${status.projection.stalled ? ', checkpoint stalled' : ''}${down ? `; projection-service ${down.status}` : ''} – figures may be out of date.`,
    );
  }
  if (status?.dead_letters.count) messages.push(`${status.dead_letters.count} dead-lettered command(s).`);
  const banner = $('banner');
  banner.hidden = messages.length === 0;
  banner.dataset.lag = status?.projection.warning ? 'warning' : 'ok';
  banner.textContent = messages.join(' ');
}

// ---------------------------------------------------------------- wiring

function showError(error: unknown): void {
  if (error instanceof ApiError && error.status === 401) return signOut();
  $('list-note').textContent = `Error: ${(error as Error).message}`;
}

function setSearch(search: string): void {
  $<HTMLInputElement>('search-input').value = search;
  void loadList(true).catch(showError);
  $('search-input').focus();
}

function wire(): void {
  $('token-form').addEventListener('submit', (event) => {
    event.preventDefault();
    $('sign-in-error').textContent = '';
    signIn($<HTMLTextAreaElement>('token-input').value.trim()).catch((error: Error) => {
      state.token = '';
      $('sign-in-error').textContent = `Sign-in failed: ${error.message}`;
    });
  });
  $('password-form').addEventListener('submit', (event) => {
    event.preventDefault();
    passwordSignIn(
      $<HTMLInputElement>('user-input').value,
      $<HTMLInputElement>('password-input').value,
    ).catch((error: Error) => {
      $('sign-in-error').textContent = `Sign-in failed: ${error.message}`;
    });
  });
  $('sign-out').addEventListener('click', signOut);
  $('space-form').addEventListener('submit', (event) => {
    event.preventDefault();
    void openSpace($<HTMLInputElement>('space-input').value.trim()).catch(showError);
  });
  $('search-form').addEventListener('submit', (event) => {
    event.preventDefault();
    void loadList(true).catch(showError);
  });
  $('clear-search').addEventListener('click', () => {
    $<HTMLFormElement>('search-form').reset();
    void loadList(true).catch(showError);
  });
  $('more').addEventListener('click', () => void loadList(false).catch(showError));
  $('board').addEventListener('click', (event) => {
    const target = (event.target as HTMLElement).closest<HTMLElement>('[data-search],[data-open]');
    if (!target) return;
    if (target.dataset.search !== undefined) setSearch(target.dataset.search);
    else if (target.dataset.open) {
      const [subpath, shortname] = target.dataset.open.split('|');
      void openPanel(subpath, shortname).catch(showError);
    }
  });
  $('panel-close').addEventListener('click', closePanel);
  $('panel').addEventListener('keydown', (event) => {
    if (event.key === 'Escape') closePanel();
  });
  $('as-of-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const value = $<HTMLInputElement>('as-of-input').value;
    state.asOf = value ? new Date(value).toISOString() : '';
    void loadPanel().catch((error: Error) => ($('panel-error').textContent = error.message));
  });
  $('as-of-now').addEventListener('click', () => {
    $<HTMLInputElement>('as-of-input').value = '';
    state.asOf = '';
    void loadPanel().catch(showError);
  });
}

wire();
void offerPasswordSignIn();
const saved = sessionStorage.getItem(TOKEN_KEY);
if (saved) void signIn(saved).catch(() => sessionStorage.removeItem(TOKEN_KEY));
