/**
 * Nx-pruned production dependencies, one set per service: for each service, the `dependencies` of the root
 * package.json that the service and the libraries it depends on import (Nx's project graph, through
 * `createPackageJson` of @nx/js), plus `tsconfig-paths`, which the start command preloads
 * (tools/register-paths.js) without any project importing it; and the root package-lock.json cut down to the
 * packages those need, so `npm ci --omit=dev` installs exactly the versions the workspace was tested with.
 *
 * The lock file is cut here rather than by Nx's `createLockFile`, which fails on this workspace's lock file
 * ("Target project does not exist: npm:uuid@8.3.2", nx 22.7) and then silently returns the whole root lock.
 *
 * Usage (in the image's build stage, from the workspace root): node deploy/docker/prune-deps.js OUT_DIR
 * Writes OUT_DIR/<service>/package.json and OUT_DIR/<service>/package-lock.json.
 */
const fs = require('node:fs');
const path = require('node:path');
const { createProjectGraphAsync } = require('@nx/devkit');
const { createPackageJson } = require('@nx/js');

const SERVICES = ['gateway', 'ticket-service', 'projection-service'];
/** Needed at run time by the start command but imported by no project. */
const RUNTIME_PRELOADS = ['tsconfig-paths'];

async function main() {
  const out = process.argv[2];
  if (!out) throw new Error('usage: node deploy/docker/prune-deps.js OUT_DIR');
  const root = process.cwd();
  const rootPackage = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
  const rootLock = JSON.parse(fs.readFileSync(path.join(root, 'package-lock.json'), 'utf8'));
  if (rootLock.lockfileVersion < 2) throw new Error('package-lock.json must be lockfileVersion 2 or 3');
  const graph = await createProjectGraphAsync({ exitOnError: true });
  for (const service of SERVICES) {
    const pruned = createPackageJson(service, graph, { isProduction: true, root });
    pruned.name = `${rootPackage.name}-${service}`;
    pruned.version = rootPackage.version;
    pruned.private = true;
    pruned.dependencies = { ...pruned.dependencies };
    for (const name of RUNTIME_PRELOADS) {
      const version = rootPackage.dependencies[name];
      if (!version) throw new Error(`${name} must be a production dependency of the root package.json`);
      pruned.dependencies[name] = version;
    }
    delete pruned.devDependencies;
    delete pruned.scripts;
    const lock = pruneLock(rootLock, pruned.name, pruned.dependencies);
    const dir = path.join(out, service);
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify(pruned, null, 2) + '\n');
    fs.writeFileSync(path.join(dir, 'package-lock.json'), JSON.stringify(lock, null, 2) + '\n');
    const count = Object.keys(lock.packages).length - 1;
    console.log(`${service}: ${Object.keys(pruned.dependencies).length} direct, ${count} installed packages`);
  }
}

/**
 * The lock file restricted to what `dependencies` need: starting from them, each package's dependencies,
 * optional dependencies and (installed) peer dependencies are resolved the way Node does, from the package's
 * own `node_modules` up to the root, and only the reached entries are kept, at the paths they had.
 * @param lock a package-lock.json (lockfileVersion 2 or 3) as parsed JSON
 * @param name name of the pruned root package
 * @param dependencies name -> version range of the root package
 * @returns the pruned lock (lockfileVersion 3)
 * @throws Error when a required dependency has no entry in the lock
 */
function pruneLock(lock, name, dependencies) {
  const entries = lock.packages;
  const kept = new Map();
  const resolve = (from, name) => {
    for (let dir = from; ;) {
      const candidate = `${dir ? `${dir}/` : ''}node_modules/${name}`;
      if (entries[candidate]) return candidate;
      if (!dir) return undefined;
      const up = dir.lastIndexOf('/node_modules/');
      dir = up < 0 ? '' : dir.slice(0, up);
    }
  };
  const visit = (from, names, optional) => {
    for (const name of names) {
      const at = resolve(from, name);
      if (!at) {
        if (optional.has(name)) continue;
        throw new Error(`package-lock.json has no entry for ${name} (needed by ${from || 'the root'})`);
      }
      if (kept.has(at)) continue;
      const entry = { ...entries[at] };
      delete entry.dev;
      if (entry.devOptional) {
        delete entry.devOptional;
        entry.optional = true;
      }
      kept.set(at, entry);
      const peersOptional = Object.keys(entry.peerDependenciesMeta ?? {}).filter(
        (p) => entry.peerDependenciesMeta[p].optional,
      );
      visit(at, Object.keys(entry.dependencies ?? {}), new Set());
      visit(
        at,
        Object.keys(entry.optionalDependencies ?? {}),
        new Set(Object.keys(entry.optionalDependencies ?? {})),
      );
      visit(at, Object.keys(entry.peerDependencies ?? {}), new Set(peersOptional));
    }
  };
  visit('', Object.keys(dependencies), new Set());
  const rootEntry = { name, version: lock.version, dependencies };
  const packages = { '': rootEntry };
  for (const at of [...kept.keys()].sort()) packages[at] = kept.get(at);
  return { name, version: lock.version, lockfileVersion: 3, requires: true, packages };
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
