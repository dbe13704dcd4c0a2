import { ALERT_RULES } from './monitoring';
import { installTools, promtoolCheckRules } from './tools';

/** deploy/prometheus/alerts.yaml passes Prometheus' own validator (`promtool check rules`, offline). */
describe('Prometheus alert rules', () => {
  beforeAll(() => installTools(), 900_000);

  it('pass promtool check rules', () => {
    const result = promtoolCheckRules([ALERT_RULES]);
    expect({ status: result.status, output: result.stdout + result.stderr }).toEqual({
      status: 0,
      output: expect.stringContaining('SUCCESS'),
    });
  });
});
