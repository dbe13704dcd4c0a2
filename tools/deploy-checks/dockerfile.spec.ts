import * as fs from 'node:fs';
import * as path from 'node:path';
import { checkDockerfile, checkDockerignore, contextSources, inContext, parseDockerfile } from './policies';
import { ROOT } from './tools';

const dockerfileText = fs.readFileSync(path.join(ROOT, 'deploy/docker/Dockerfile'), 'utf8');
const dockerignoreText = fs.readFileSync(path.join(ROOT, '.dockerignore'), 'utf8');

describe('deploy/docker/Dockerfile', () => {
  const dockerfile = parseDockerfile(dockerfileText);

  it('builds the three services in stages: Node.js LTS slim, non-root, health check, SIGTERM to node, pruned dependencies', () => {
    expect(checkDockerfile(dockerfile)).toEqual([]);
  });

  it('has one target per service', () => {
    expect(dockerfile.stages.map((s) => s.name)).toEqual(
      expect.arrayContaining(['gateway', 'ticket-service', 'projection-service']),
    );
  });

  it('copies from the context only what .dockerignore lets in, and lets in nothing else of note', () => {
    expect(contextSources(dockerfile).length).toBeGreaterThan(0);
    expect(checkDockerignore(dockerignoreText, dockerfile)).toEqual([]);
  });
});

describe('the Dockerfile rules reject', () => {
  const broken = parseDockerfile(`
FROM node:23-slim AS build
RUN npm ci

FROM node:22-bookworm-slim AS gateway
COPY --from=build /workspace/node_modules node_modules
USER root
ENV GATEWAY_PORT=8080
EXPOSE 3000
CMD node dist/apps/gateway/src/main.js

FROM build AS ticket-service
USER 1000
HEALTHCHECK NONE
STOPSIGNAL SIGKILL
ENTRYPOINT ["docker-entrypoint.sh"]
CMD ["npm", "start"]
`);

  it('a non-LTS or non-slim base, root, no health check, shell-form CMD, wrong signal, unpruned dependencies', () => {
    expect(checkDockerfile(broken)).toEqual([
      'stage build: base image node:23-slim is not node:<LTS>-<debian>-slim',
      'gateway: runs as root',
      'gateway: no HEALTHCHECK',
      'gateway: STOPSIGNAL is unset, expected SIGTERM',
      'gateway: CMD is not in exec form (a shell would be PID 1 and swallow SIGTERM)',
      'gateway: GATEWAY_PORT=8080 is not EXPOSEd',
      'gateway: node_modules do not come from a deps-gateway stage running npm ci --omit=dev',
      'ticket-service: no HEALTHCHECK',
      'ticket-service: STOPSIGNAL is SIGKILL, expected SIGTERM',
      'ticket-service: has an ENTRYPOINT (the CMD alone must start node)',
      'ticket-service: CMD does not run node on dist/apps/ticket-service/src/main.js',
      'ticket-service: no ENV TICKET_SERVICE_PORT',
      'ticket-service: node_modules do not come from a deps-ticket-service stage running npm ci --omit=dev',
      'no build target projection-service',
    ]);
  });

  it('a .dockerignore that is no allowlist, or drops what the Dockerfile copies', () => {
    const dockerfile = parseDockerfile(
      'FROM node:22-bookworm-slim\nCOPY apps/ apps/\nCOPY package.json ./\n',
    );
    expect(checkDockerignore('node_modules\n', dockerfile)).toEqual([
      '.dockerignore does not start with `*` (allowlist)',
      '.dockerignore lets .local/run/x into the build context',
      '.dockerignore lets dist/apps/x.js into the build context',
      '.dockerignore lets .git/config into the build context',
      '.dockerignore lets .env into the build context',
      '.dockerignore lets apps/gateway/node_modules/x.js into the build context',
      '.dockerignore lets apps/gateway/src/x.spec.ts into the build context',
    ]);
    expect(checkDockerignore('*\n!package.json\n', dockerfile)).toEqual([
      '.dockerignore drops apps/, which the Dockerfile copies',
    ]);
  });

  it('with Docker semantics: the last matching pattern wins, ** spans directories', () => {
    const patterns = ['*', '!apps/', '**/*.spec.ts', '**/node_modules'];
    expect(inContext(patterns, 'apps/gateway/src/main.ts')).toBe(true);
    expect(inContext(patterns, 'apps/gateway/src/main.spec.ts')).toBe(false);
    expect(inContext(patterns, 'apps/gateway/node_modules/x/index.js')).toBe(false);
    expect(inContext(patterns, 'libs/domain/src/index.ts')).toBe(false);
  });
});
