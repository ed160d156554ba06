// Delivers anomalies to ALERT_WEBHOOK_URL: one POST per alert, signed with HMAC-SHA256 when a secret is set,
// retried with exponential backoff, and recorded as an AlertSent event once the receiver answers 2xx. It runs
// beside the write path, never in it: deliveries are promises nobody awaits but close(), and their number is
// capped. Failures are logged and counted.
import { createHmac, randomUUID } from "node:crypto";
import type { AlertSettings } from "../config.js";
import type { AlertSentData } from "../events/types.js";
import type { Anomaly } from "../projections/anomalies.js";

// More alerts than this waiting or being retried means the receiver is down: further ones are dropped (and
// counted) rather than held in memory; they are found again after a restart, since none was recorded as sent.
const MAX_IN_FLIGHT = 100;

export interface AlertCounters {
  /** Alerts the receiver acknowledged. */
  delivered: number;
  /** Delivery attempts that failed (each retry counts). */
  failed_attempts: number;
  /** Alerts abandoned after the last retry. */
  gave_up: number;
  /** Alerts not attempted because too many were in flight. */
  dropped: number;
}

/** The signature header's value: `sha256=` and the hex HMAC-SHA256 of the exact body bytes. */
export function signature(secret: string, body: string): string {
  return "sha256=" + createHmac("sha256", secret).update(body).digest("hex");
}

export class WebhookAlerter {
  readonly counters: AlertCounters = { delivered: 0, failed_attempts: 0, gave_up: 0, dropped: 0 };
  private readonly inFlight = new Set<Promise<void>>();
  /** Cuts retry waits short on shutdown; requests already sent still finish (within the timeout) and are recorded. */
  private readonly closing = new AbortController();

  constructor(
    private readonly settings: AlertSettings & { webhookUrl: string },
    private readonly record: (sent: AlertSentData) => Promise<void>,
    private readonly log: (line: string) => void,
  ) {}

  get pending(): number {
    return this.inFlight.size;
  }

  send(anomaly: Anomaly): void {
    if (this.closing.signal.aborted) return;
    if (this.inFlight.size >= MAX_IN_FLIGHT) {
      this.counters.dropped++;
      this.log(`scriptlog: alert for ${anomaly.kind} '${anomaly.pattern}' dropped: ${MAX_IN_FLIGHT} alerts are still being delivered`);
      return;
    }
    const delivery = this.deliver(anomaly).finally(() => this.inFlight.delete(delivery));
    this.inFlight.add(delivery);
  }

  private async deliver(anomaly: Anomaly): Promise<void> {
    const alertId = randomUUID();
    const body = JSON.stringify({ alert_id: alertId, source: "scriptlog", ...anomaly });
    const headers: Record<string, string> = {
      "content-type": "application/json",
      "user-agent": "scriptlog-alerts",
      "x-scriptlog-alert-id": alertId,
    };
    if (this.settings.webhookSecret) headers["x-scriptlog-signature"] = signature(this.settings.webhookSecret, body);
    for (let attempt = 1; attempt <= this.settings.retries + 1; attempt++) {
      let problem: string;
      try {
        const res = await fetch(this.settings.webhookUrl, {
          method: "POST",
          headers,
          body,
          signal: AbortSignal.timeout(this.settings.timeoutMs),
        });
        await res.arrayBuffer().catch(() => undefined);
        if (res.ok) {
          this.counters.delivered++;
          await this.record({
            alert_id: alertId,
            kind: anomaly.kind,
            pattern: anomaly.pattern,
            context_version: anomaly.context_version ?? null,
            window: anomaly.window,
            tries: attempt,
            status_code: res.status,
          }).catch((err: Error) => this.log(`scriptlog: alert ${alertId} was delivered but could not be recorded: ${err.message}`));
          return;
        }
        problem = `HTTP ${res.status}`;
      } catch (err) {
        problem = (err as Error).message;
      }
      this.counters.failed_attempts++;
      this.log(`scriptlog: alert ${alertId} (${anomaly.kind} '${anomaly.pattern}'): delivery attempt ${attempt} failed: ${problem}`);
      if (attempt <= this.settings.retries && !(await this.wait(this.settings.retryBaseMs * 2 ** (attempt - 1)))) return;
    }
    this.counters.gave_up++;
    this.log(`scriptlog: alert ${alertId} (${anomaly.kind} '${anomaly.pattern}'): gave up after ${this.settings.retries + 1} attempts`);
  }

  /** Resolves true after `ms`, or false at once when the alerter is closing. */
  private wait(ms: number): Promise<boolean> {
    const signal = this.closing.signal;
    if (signal.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        signal.removeEventListener("abort", stop);
        resolve(true);
      }, ms);
      const stop = () => {
        clearTimeout(timer);
        resolve(false);
      };
      signal.addEventListener("abort", stop, { once: true });
    });
  }

  /** Stops retrying, lets requests already sent finish and be recorded. */
  async close(): Promise<void> {
    this.closing.abort();
    await Promise.allSettled([...this.inFlight]);
  }
}
