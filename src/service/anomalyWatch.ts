// Watches for anomalies as attempts are projected: a failure re-examines its own pattern at once (batched per
// turn of the event loop), and every pattern is re-examined on a timer, since windows move with the clock.
// Each anomaly not announced before — in this process, or by an AlertSent event of any earlier one — is
// handed on once (to the live stream and the webhook).
import type { Subscription } from "rxjs";
import type { DetectionSettings } from "../config.js";
import { alertKey, alreadyAlerted } from "../projections/alerts.js";
import { findAnomalies, type Anomaly } from "../projections/anomalies.js";
import type { ScriptlogService } from "./scriptlogService.js";

export interface WatchStats {
  evaluations: number;
  /** The seq the read models were at in the latest evaluation. */
  evaluated_seq: number;
  last_evaluated_at: string | null;
  announced: number;
}

export class AnomalyWatch {
  readonly stats: WatchStats = { evaluations: 0, evaluated_seq: 0, last_evaluated_at: null, announced: 0 };
  private readonly dirty = new Set<string>();
  private scheduled = false;
  /** Anomalies announced by this process, by alert key: their window. */
  private readonly announced = new Map<string, { window: { end: string } }>();
  private subscription: Subscription | null = null;
  private sweepTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly service: ScriptlogService,
    private readonly settings: DetectionSettings,
    private readonly sweepMs: number,
    private readonly announce: (anomaly: Anomaly) => void,
    private readonly now: () => number = Date.now,
  ) {}

  /** Call once the service has replayed the log: examines every pattern, then follows new failures. */
  start(): void {
    this.subscription = this.service.projected$.subscribe((event) => {
      if (event.envelope.type !== "AttemptFailed") return;
      this.dirty.add((event as { derived: { pattern: string } }).derived.pattern);
      if (this.scheduled) return;
      this.scheduled = true;
      setImmediate(() => {
        this.scheduled = false;
        const patterns = [...this.dirty];
        this.dirty.clear();
        this.evaluate(patterns);
      });
    });
    this.evaluate();
    this.sweepTimer = setInterval(() => this.evaluate(), this.sweepMs).unref();
  }

  private evaluate(patterns?: string[]): void {
    if (this.subscription === null) return;
    const states = this.service.models.states;
    const at = this.now();
    for (const anomaly of findAnomalies(states, at, this.settings, patterns)) {
      const key = alertKey(anomaly);
      if (alreadyAlerted(this.announced.get(key) ?? states.alerts.latest.get(key), anomaly)) continue;
      this.announced.set(key, anomaly);
      this.stats.announced++;
      this.announce(anomaly);
    }
    this.stats.evaluations++;
    this.stats.evaluated_seq = this.service.models.seq;
    this.stats.last_evaluated_at = new Date(at).toISOString();
  }

  stop(): void {
    this.subscription?.unsubscribe();
    this.subscription = null;
    if (this.sweepTimer) clearInterval(this.sweepTimer);
  }
}
