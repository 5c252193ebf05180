/**
 * A Prometheus histogram of request durations by (operation, status), built for the hot path:
 * an observation is a Map lookup and a few typed-array increments. prom-client's Histogram
 * validates and hashes its labels on every observation, which costs a visible share of a
 * request here. This class speaks prom-client's metric interface (`get()`), so it registers
 * in the same Registry and renders in the standard text format.
 */
import type { MetricValueWithName, Registry } from 'prom-client';

interface Series {
  operation: string;
  status: string;
  /** counts[i]: observations in (bounds[i-1], bounds[i]]; the last slot is +Inf. */
  counts: Float64Array;
  sum: number;
}

export class DurationHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly series = new Map<string, Series>();

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly bounds: readonly number[],
  ) {}

  register(registry: Registry): this {
    // prom-client's types only admit its own classes; the registry needs name and get().
    registry.registerMetric(this as unknown as Parameters<Registry['registerMetric']>[0]);
    return this;
  }

  observe(operation: string, status: number, seconds: number): void {
    const id = operation + status;
    let series = this.series.get(id);
    if (series === undefined) {
      series = {
        operation,
        status: String(status),
        counts: new Float64Array(this.bounds.length + 1),
        sum: 0,
      };
      this.series.set(id, series);
    }
    let i = 0;
    while (i < this.bounds.length && seconds > this.bounds[i]) i++;
    series.counts[i]++;
    series.sum += seconds;
  }

  /** Total observations for one series (for tests and status pages). */
  count(operation: string, status: number): number {
    const series = this.series.get(operation + status);
    return series === undefined ? 0 : series.counts.reduce((a, b) => a + b, 0);
  }

  reset(): void {
    this.series.clear();
  }

  async get(): Promise<{
    name: string;
    help: string;
    type: string;
    aggregator: string;
    values: MetricValueWithName<string>[];
  }> {
    const values: MetricValueWithName<string>[] = [];
    for (const { operation, status, counts, sum } of this.series.values()) {
      let cumulative = 0;
      for (let i = 0; i <= this.bounds.length; i++) {
        cumulative += counts[i];
        const le = i < this.bounds.length ? this.bounds[i] : '+Inf';
        values.push({
          metricName: `${this.name}_bucket`,
          labels: { le, operation, status },
          value: cumulative,
        });
      }
      values.push({ metricName: `${this.name}_sum`, labels: { operation, status }, value: sum });
      values.push({ metricName: `${this.name}_count`, labels: { operation, status }, value: cumulative });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }
}
