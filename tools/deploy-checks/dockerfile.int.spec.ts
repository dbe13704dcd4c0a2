import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SERVICES } from './policies';
import { hadolint, installTools, ROOT } from './tools';

/**
 * deploy/docker/Dockerfile passes hadolint, and deploy/docker/prune-deps.js (run by the image build) gives
 * each service only the production dependencies it imports, at the workspace's locked versions.
 */

type Json = Record<string, any>;

beforeAll(() => installTools(), 15 * 60_000);

describe('deploy/docker/Dockerfile', () => {
  it('passes hadolint with no finding', () => {
    const { status, findings, stderr } = hadolint(path.join(ROOT, 'deploy/docker/Dockerfile'));
    expect(findings).toEqual([]);
    expect({ status, stderr }).toEqual({ status: 0, stderr: '' });
  });
});

describe('hadolint rejects', () => {
  it('a Dockerfile with the usual mistakes', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dockerfile-'));
    try {
      const file = path.join(dir, 'Dockerfile');
      fs.writeFileSync(
        file,
        [
          'FROM node:latest',
          'MAINTAINER someone',
          'WORKDIR app',
          'RUN cd /app && npm install',
          'CMD node main.js',
          '',
        ].join('\n'),
      );
      const { status, findings } = hadolint(file);
      expect(status).not.toBe(0);
      expect(findings.map((f) => f.code)).toEqual(['DL3007', 'DL4000', 'DL3000', 'DL3003', 'DL3025']);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('deploy/docker/prune-deps.js', () => {
  let out: string;
  const root: Json = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  const rootLock: Json = JSON.parse(fs.readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8'));
  const pruned = (service: string, file: string): Json =>
    JSON.parse(fs.readFileSync(path.join(out, service, file), 'utf8'));

  beforeAll(() => {
    out = fs.mkdtempSync(path.join(os.tmpdir(), 'pruned-'));
    execFileSync('node', [path.join(ROOT, 'deploy/docker/prune-deps.js'), out], {
      cwd: ROOT,
      env: { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
  }, 120_000);
  afterAll(() => fs.rmSync(out, { recursive: true, force: true }));

  it.each(SERVICES.map((s) => s.name))(
    'gives %s root production dependencies only, at their versions, with tsconfig-paths',
    (service) => {
      const { dependencies } = pruned(service, 'package.json');
      expect(dependencies['tsconfig-paths']).toBe(root.dependencies['tsconfig-paths']);
      for (const [name, version] of Object.entries(dependencies)) {
        const locked = rootLock.packages[`node_modules/${name}`];
        expect([name, locked?.dev === true ? 'dev' : 'prod', locked?.version]).toEqual([
          name,
          'prod',
          version,
        ]);
      }
      expect(Object.keys(dependencies).filter((name) => name in (root.devDependencies ?? {}))).toEqual([]);
    },
  );

  it('leaves out what a service does not import', () => {
    expect(pruned('projection-service', 'package.json').dependencies).not.toHaveProperty('@nestjs/jwt');
    expect(pruned('gateway', 'package.json').dependencies).toHaveProperty('@nestjs/jwt');
  });

  it.each(SERVICES.map((s) => s.name))(
    'locks %s to entries of the workspace lock, with no development package',
    (service) => {
      const lock = pruned(service, 'package-lock.json');
      const { dependencies } = pruned(service, 'package.json');
      expect(lock.packages['']).toMatchObject({ dependencies });
      const entries = Object.entries<Json>(lock.packages).filter(([at]) => at !== '');
      for (const [at, entry] of entries) {
        const original = rootLock.packages[at];
        expect([at, entry.version, entry.integrity]).toEqual([at, original?.version, original?.integrity]);
        expect([at, original.dev === true]).toEqual([at, false]);
      }
      for (const name of Object.keys(dependencies))
        expect(lock.packages).toHaveProperty([`node_modules/${name}`]);
      for (const devTool of ['jest', 'typescript', 'nx', 'eslint'])
        expect(lock.packages).not.toHaveProperty([`node_modules/${devTool}`]);
    },
  );
});
