// The alerts the webhook has acknowledged (AlertSent events): what keeps an anomaly from being sent twice,
// across restarts too.
import type { AlertSentData } from "../events/types.js";
import type { Anomaly } from "./anomalies.js";
import type { Projection } from "./projection.js";

export interface AlertsState {
  /** Alert key → the latest alert sent under it. */
  latest: Map<string, AlertSentData & { recorded_at: string }>;
  sent: number;
}

/** One alert per new pattern, per regression under a context version, and per spike episode of a pattern. */
export function alertKey(a: Pick<AlertSentData, "kind" | "pattern"> & { context_version?: string | null }): string {
  return a.kind === "regression" ? `${a.kind}\n${a.pattern}\n${a.context_version ?? ""}` : `${a.kind}\n${a.pattern}`;
}

/**
 * Whether an anomaly was already alerted: a new pattern or a regression once ever; a spike again only once the
 * window of the last alert about it has passed (a pattern still spiking a window later is a new episode).
 */
export function alreadyAlerted(previous: { window: { end: string } } | undefined, anomaly: Anomaly): boolean {
  if (!previous) return false;
  return anomaly.kind !== "spike" || Date.parse(previous.window.end) > Date.parse(anomaly.window.start);
}

/** The latest alerts, newest first. */
export function recentAlerts(state: AlertsState, limit: number) {
  return [...state.latest.values()].sort((a, b) => (a.recorded_at < b.recorded_at ? 1 : -1)).slice(0, limit);
}

export const alertsProjection: Projection<AlertsState, { sent: number; latest: Array<AlertSentData & { recorded_at: string }> }> = {
  name: "alerts",
  version: 1,
  initial: () => ({ latest: new Map(), sent: 0 }),
  reducers: {
    AlertSent(state, { envelope }) {
      state.latest.set(alertKey(envelope.data), { ...envelope.data, recorded_at: envelope.recorded_at });
      state.sent++;
      return state;
    },
  },
  toJSON: (state) => ({ sent: state.sent, latest: [...state.latest.values()] }),
  fromJSON: (json) => ({ sent: json.sent, latest: new Map(json.latest.map((a) => [alertKey(a), a])) }),
};
