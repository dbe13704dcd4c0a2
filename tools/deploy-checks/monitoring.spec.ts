import * as fs from 'node:fs';
import { parse } from 'yaml';
import { ALERT_RULES, GRAFANA_DASHBOARD, metricsInCode, metricsOf, unknownMetrics } from './monitoring';

/**
 * deploy/grafana/tickets-dashboard.json and deploy/prometheus/alerts.yaml read only metrics the services
 * define, and the dashboard has the structure Grafana imports (promtool's own check of the rules:
 * monitoring.int.spec.ts).
 */
describe('monitoring definitions', () => {
  const known = metricsInCode();
  const dashboard = JSON.parse(fs.readFileSync(GRAFANA_DASHBOARD, 'utf8'));
  const panels: any[] = dashboard.panels;
  const rules: any[] = parse(fs.readFileSync(ALERT_RULES, 'utf8')).groups.flatMap((g: any) => g.rules);

  it('finds the metrics of the code and of an expression', () => {
    expect(known).toEqual(expect.objectContaining({ size: expect.any(Number) }));
    for (const name of [
      'projection_lag_ms',
      'gateway_command_timeouts_total',
      'gateway_http_requests_total',
      'ticket_commands_duration_seconds',
    ]) {
      expect(known.has(name)).toBe(true);
    }
    expect(
      metricsOf(
        'histogram_quantile(0.95, sum by (le, route) (rate(a_seconds_bucket{route!~"/x"}[$__rate_interval]))) / clamp_min(b_total, 1e-9) > 0.05',
      ),
    ).toEqual(['a_seconds', 'b_total']);
    expect(unknownMetrics('rate(no_such_metric_total[5m]) and on() up', known)).toEqual([
      'no_such_metric_total',
    ]);
  });

  it('has a Grafana dashboard with a title, a uid, a Prometheus data source variable and well-placed panels', () => {
    expect(dashboard).toMatchObject({
      title: expect.any(String),
      uid: expect.stringMatching(/^[\w-]{1,40}$/),
      schemaVersion: expect.any(Number),
    });
    expect(dashboard.templating.list).toContainEqual(
      expect.objectContaining({ name: 'datasource', type: 'datasource', query: 'prometheus' }),
    );
    expect(panels.length).toBeGreaterThan(5);
    const ids = panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const panel of panels) {
      expect(panel).toMatchObject({
        type: expect.stringMatching(/^(timeseries|stat|gauge|table|bargauge)$/),
        title: expect.any(String),
      });
      expect(panel.gridPos.x + panel.gridPos.w).toBeLessThanOrEqual(24);
      expect(panel.datasource).toEqual({ type: 'prometheus', uid: '${datasource}' });
      expect(panel.targets.length).toBeGreaterThan(0);
      for (const target of panel.targets) expect(target.expr).toEqual(expect.any(String));
    }
  });

  it('queries in the dashboard only metrics the services define', () => {
    const unknown = panels.flatMap((p) =>
      p.targets.flatMap((t: any) => unknownMetrics(t.expr, known).map((m) => `${p.title}: ${m}`)),
    );
    expect(unknown).toEqual([]);
  });

  it('alerts on projection lag, a stalled checkpoint, dead letters, the 5xx rate and command time-outs, from defined metrics only', () => {
    const byName = new Map(rules.map((r) => [r.alert, r]));
    for (const alert of [
      'ProjectionLagHigh',
      'ProjectionCheckpointStalled',
      'DeadLetteredCommands',
      'GatewayHigh5xxRate',
      'CommandTimeouts',
    ]) {
      expect(byName.get(alert)).toMatchObject({
        expr: expect.any(String),
        labels: { severity: expect.stringMatching(/^(warning|critical)$/) },
      });
    }
    expect(rules.flatMap((r) => unknownMetrics(r.expr, known).map((m) => `${r.alert}: ${m}`))).toEqual([]);
  });
});
