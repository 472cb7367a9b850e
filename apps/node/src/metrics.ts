/** A small Prometheus registry: counters with labels and one latency histogram, in text format 0.0.4. */
const BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

type Labels = Readonly<Record<string, string>>;

const key = (labels: Labels) =>
  Object.entries(labels)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}="${v.replace(/["\\\n]/g, '_')}"`)
    .join(',');

export class Metrics {
  private readonly counters = new Map<string, { help: string; values: Map<string, number> }>();
  private readonly gauges = new Map<string, { help: string; read: () => number }>();
  private readonly histogram = { counts: BUCKETS.map(() => 0), sum: 0, count: 0 };

  counter(name: string, help: string): (labels?: Labels, by?: number) => void {
    const entry = { help, values: new Map<string, number>() };
    this.counters.set(name, entry);
    return (labels = {}, by = 1) => {
      const k = key(labels);
      entry.values.set(k, (entry.values.get(k) ?? 0) + by);
    };
  }

  gauge(name: string, help: string, read: () => number): void {
    this.gauges.set(name, { help, read });
  }

  observeLatency(seconds: number): void {
    BUCKETS.forEach((b, i) => {
      if (seconds <= b) this.histogram.counts[i]!++;
    });
    this.histogram.sum += seconds;
    this.histogram.count++;
  }

  render(): string {
    const lines: string[] = [];
    for (const [name, { help, values }] of this.counters) {
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} counter`);
      if (values.size === 0) lines.push(`${name} 0`);
      for (const [labels, v] of values) lines.push(labels ? `${name}{${labels}} ${v}` : `${name} ${v}`);
    }
    for (const [name, { help, read }] of this.gauges) {
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} gauge`, `${name} ${read()}`);
    }
    const h = 'stoa_infer_duration_seconds';
    lines.push(`# HELP ${h} Time to answer POST /v1/infer, traced and signed.`, `# TYPE ${h} histogram`);
    BUCKETS.forEach((b, i) => {
      lines.push(`${h}_bucket{le="${b}"} ${this.histogram.counts[i]}`);
    });
    lines.push(
      `${h}_bucket{le="+Inf"} ${this.histogram.count}`,
      `${h}_sum ${this.histogram.sum}`,
      `${h}_count ${this.histogram.count}`,
    );
    return `${lines.join('\n')}\n`;
  }
}
