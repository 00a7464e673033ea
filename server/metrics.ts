// Prometheus metrics of the server (prom-client): requests, pushes accepted and refused, durations.

import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * How often the event loop's delay is sampled (ccr_nodejs_eventloop_lag_*_seconds). prom-client's
 * 10 ms woke an idle server 100 times a second (1.2 % of a core doing nothing; issue 17). A stall
 * of this length or more is always seen, a shorter one by chance.
 */
export const EVENT_LOOP_SAMPLE_MS = 100;

/** prom-client's own sampling, whose gauges are replaced (eventLoopDelay): a timer that never comes due. */
const UNUSED_SAMPLE_MS = 2 ** 31 - 1;

/** The statistics of the event loop's delay, under prom-client's names. */
const DELAY_GAUGES = ['min', 'max', 'mean', 'stddev', 'p50', 'p90', 'p99'] as const;

/**
 * The event loop's delay sampled every EVENT_LOOP_SAMPLE_MS since the last scrape. Node's histogram
 * holds the time between two samples, the interval itself included; the gauges give what is beyond
 * it (0 on an idle loop), so that they read the same whatever the interval.
 */
function eventLoopDelay(registry: Registry, prefix: string): void {
  const h = monitorEventLoopDelay({ resolution: EVENT_LOOP_SAMPLE_MS });
  h.enable();
  const late = (ns: number) => (h.count === 0 ? 0 : Math.max(0, (ns - EVENT_LOOP_SAMPLE_MS * 1e6) / 1e9));
  const read: Record<(typeof DELAY_GAUGES)[number], () => number> = {
    min: () => late(h.min),
    max: () => late(h.max),
    mean: () => late(h.mean),
    stddev: () => (h.count === 0 ? 0 : h.stddev / 1e9),
    p50: () => late(h.percentile(50)),
    p90: () => late(h.percentile(90)),
    p99: () => late(h.percentile(99)),
  };
  const gauges = new Map<(typeof DELAY_GAUGES)[number], Gauge>();
  for (const stat of DELAY_GAUGES) {
    const name = `${prefix}nodejs_eventloop_lag_${stat}_seconds`;
    registry.removeSingleMetric(name);
    const gauge = new Gauge({
      name,
      help: `The event loop's delay beyond its sampling, ${stat}, since the last scrape.`,
      registers: [registry],
      // The first one collected sets them all from one reading, then starts the next.
      ...(gauges.size === 0 && {
        collect: () => {
          for (const [s, g] of gauges) g.set(read[s]());
          h.reset();
        },
      }),
    });
    gauges.set(stat, gauge);
  }
}

/** The metrics one server exposes on /metrics. */
export class Metrics {
  readonly registry = new Registry();
  readonly requests = new Counter({
    name: 'ccr_http_requests_total',
    help: 'HTTP requests by route and status',
    labelNames: ['route', 'status'] as const,
    registers: [this.registry],
  });
  readonly duration = new Histogram({
    name: 'ccr_http_request_duration_seconds',
    help: 'HTTP request durations by route',
    labelNames: ['route'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });
  readonly pushes = new Counter({
    name: 'ccr_pushes_total',
    help: 'Pushes by outcome (accepted, refused)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly validation = new Histogram({
    name: 'ccr_validation_duration_seconds',
    help: 'Time the pre-receive hook waited for its verdict (judged ahead while git indexed, or in the hook)',
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1, 5],
    registers: [this.registry],
  });
  readonly judgedAhead = new Counter({
    name: 'ccr_push_judged_ahead_total',
    help:
      'Pushes by what became of their judgement ahead: landed (without receive-pack); used by the hook; judged again in the hook (refused, unsure, ' +
      'other-updates, identity-changed, late, not-judged); none started; unasked (git refused the push before its hook)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly findings = new Counter({
    name: 'ccr_refusal_findings_total',
    help: 'Findings of refused pushes by rule id',
    labelNames: ['rule'] as const,
    registers: [this.registry],
  });
  readonly records = new Counter({
    name: 'ccr_records_created_total',
    help: 'Records created through the API',
    registers: [this.registry],
  });
  readonly authFailures = new Counter({
    name: 'ccr_auth_failures_total',
    help: 'Requests answered 401',
    registers: [this.registry],
  });
  readonly sync = new Counter({
    name: 'ccr_sync_total',
    help: 'Sync rounds per record by outcome',
    labelNames: ['peer', 'outcome'] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'ccr_', eventLoopMonitoringPrecision: UNUSED_SAMPLE_MS });
    eventLoopDelay(this.registry, 'ccr_');
  }
}
