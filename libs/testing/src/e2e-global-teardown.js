/** Stops the services that e2e-global-setup.js started (SIGTERM to the launcher, which stops its children). */
module.exports = async function e2eGlobalTeardown() {
  const child = globalThis.__E2E_SERVICES__;
  if (!child || child.exitCode !== null) return;
  await new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 20000);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
};
