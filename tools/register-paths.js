/**
 * Lets compiled code in dist/ resolve the workspace aliases (`@tickets/domain`, ...) from the one list in
 * tsconfig.base.json. Used as `node -r ./tools/register-paths.js dist/apps/<service>/src/main.js`.
 */
const path = require('node:path');
const fs = require('node:fs');
const tsconfigPaths = require('tsconfig-paths');

const root = path.resolve(__dirname, '..');
const { paths } = JSON.parse(fs.readFileSync(path.join(root, 'tsconfig.base.json'), 'utf8')).compilerOptions;
tsconfigPaths.register({ baseUrl: path.join(root, 'dist'), paths });
