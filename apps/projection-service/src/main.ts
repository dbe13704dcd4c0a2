import { loadConfig } from '@tickets/config';
import { bootstrap } from './bootstrap';

/**
 * Entry point: `node -r tsconfig-paths/register dist/apps/projection-service/src/main.js` (after
 * `npx tsc -p tsconfig.build.json`). Configuration from the environment (`loadConfig`, fail-fast).
 */
bootstrap(loadConfig()).catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
