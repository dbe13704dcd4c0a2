import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { call, dmartRequest, GATEWAY_URL, tokenFor, uniqueSpace } from '@tickets/testing';

/** The pinned client release (PyPI), installed into a virtual environment cached under the git-ignored .local/. */
const PYDMART = 'pydmart==2.6.0';
const ROOT = join(__dirname, '../../../..');
const VENV = join(ROOT, '.local', 'pydmart-2.6.0-venv');
const PYTHON = join(VENV, 'bin', 'python');
const SCENARIO = join(__dirname, 'pydmart', 'scenario.py');

// Asynchronous on purpose: a blocked event loop lets pooled keep-alive connections to the gateway go stale.
const run = promisify(execFile);

/** The venv with pydmart, made once (a pip install from PyPI, ~30 s) and reused by later runs. */
async function ensureClient(): Promise<void> {
  const installed = () =>
    run(PYTHON, ['-c', "import importlib.metadata as m; assert m.version('pydmart') == '2.6.0'"]).then(
      () => true,
      () => false,
    );
  if (existsSync(PYTHON) && (await installed())) return;
  mkdirSync(join(ROOT, '.local'), { recursive: true });
  await run('python3', ['-m', 'venv', '--clear', VENV]);
  await run(PYTHON, ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', PYDMART], {
    timeout: 240_000,
  });
}

/** The README's workflow and payload schema (Dmart's shapes), defined by an admin. */
const WORKFLOW_101 = {
  name: 'Support',
  initial_state: [{ name: 'draft', roles: ['default'] }],
  states: [
    { name: 'Draft', state: 'draft', next: [{ action: 'start', state: 'in_progress', roles: ['agent'] }] },
    {
      name: 'In progress',
      state: 'in_progress',
      next: [{ action: 'resolve', state: 'resolved', roles: ['agent'] }],
    },
    { name: 'Resolved', state: 'resolved', next: [], resolutions: ['fixed', 'wont_fix'] },
  ],
};

describe("Dmart's own Python client (pydmart 2.6.0) against the gateway", () => {
  const space = uniqueSpace('pydmart');
  const admin = tokenFor('e2e_admin', ['super_admin']);
  const user = `py_${randomBytes(4).toString('hex')}`;
  const password = 'Python-Client-26';

  beforeAll(async () => {
    await ensureClient();
    const define = async (space_name: string, record: Parameters<typeof dmartRequest>[2]) => {
      const answer = await call<{ status: string }>('POST', '/managed/request', {
        token: admin,
        body: dmartRequest(space_name, 'create', record),
      });
      expect(answer.body.status).toBe('success');
    };
    await define(space, {
      resource_type: 'content',
      shortname: 'workflow_101',
      subpath: 'workflows',
      attributes: { payload: { content_type: 'json', body: WORKFLOW_101 } },
    });
    await define(space, {
      resource_type: 'schema',
      shortname: 'schema',
      subpath: 'schema',
      attributes: {
        payload: {
          content_type: 'json',
          body: { type: 'object', properties: { priority: { type: 'integer' } } },
        },
      },
    });
    await define('management', {
      resource_type: 'user',
      shortname: user,
      subpath: 'users',
      attributes: { password, roles: ['agent'] },
    });
  }, 300_000);

  it('logs in, creates, retrieves, locks, progresses, comments, searches, reads history and raises refusals', async () => {
    let output: string;
    try {
      ({ stdout: output } = await run(PYTHON, [SCENARIO], {
        env: { ...process.env, GATEWAY_URL, SPACE: space, USER_SHORTNAME: user, USER_PASSWORD: password },
        encoding: 'utf8',
        timeout: 120_000,
      }));
    } catch (error) {
      const failed = error as { stdout?: string; stderr?: string };
      throw new Error(`the pydmart scenario failed:\n${failed.stdout ?? ''}\n${failed.stderr ?? ''}`);
    }
    const summary = JSON.parse(output.trim().split('\n').at(-1) ?? '{}');
    expect(summary).toMatchObject({ scenario: 'passed', comments: 3, refused: 299 });
    expect(summary.history).toBeGreaterThanOrEqual(5);
  });
});
