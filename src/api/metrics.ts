// GET /metrics: Prometheus text format, from prom-client (the registry Prometheus' own Node client maintains).
// Each server has its own registry, so several in one process (the tests) never mix their figures.
import type { FileHandle } from "node:fs/promises";
import type { Context, Next } from "koa";
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { LogIo } from "../store/eventLog.js";

/** What the service and the HTTP layer report to. */
export interface Metrics {
  readonly registry: Registry;
  /** Wraps the log's writes and fsyncs to time them and size their batches. */
  timedIo(io: LogIo): LogIo;
  eventAppended(type: string): void;
  redacted(rule: string, count: number): void;
  derivationSeconds(seconds: number): void;
  authFailure(code: string): void;
  /** Koa middleware timing every request by route and status, and counting refusals by error code. */
  requests(ctx: Context, next: Next): Promise<void>;
  /** How far the read models are behind the log, read at each scrape. */
  watchLag(lag: () => number): void;
}

// Latency buckets in seconds: an fsync on a local disk takes around a millisecond, a slow one hundreds.
const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
const BATCH_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512];

export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "scriptlog_" });
  const appended = new Counter({
    name: "scriptlog_events_appended_total",
    help: "Events appended since start, by type",
    labelNames: ["type"],
    registers: [registry],
  });
  const batch = new Histogram({
    name: "scriptlog_append_batch_events",
    help: "Events written per durable batch (one fsync)",
    buckets: BATCH_BUCKETS,
    registers: [registry],
  });
  const fsync = new Histogram({
    name: "scriptlog_fsync_seconds",
    help: "Time of each fsync of the log",
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  const request = new Histogram({
    name: "scriptlog_http_request_seconds",
    help: "Request latency by route and status",
    labelNames: ["method", "route", "status"],
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  const rejected = new Counter({
    name: "scriptlog_http_rejected_total",
    help: "Requests answered with an error, by error code",
    labelNames: ["code"],
    registers: [registry],
  });
  const redactions = new Counter({
    name: "scriptlog_redactions_total",
    help: "Secrets redacted before append, by rule",
    labelNames: ["rule"],
    registers: [registry],
  });
  const derivation = new Histogram({
    name: "scriptlog_derivation_seconds",
    help: "Time to derive an attempt's facts (traceback, code summary)",
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  const authFailures = new Counter({
    name: "scriptlog_auth_failures_total",
    help: "Refused authentication attempts, by error code",
    labelNames: ["code"],
    registers: [registry],
  });
  let lag: () => number = () => 0;
  new Gauge({
    name: "scriptlog_projection_lag_events",
    help: "Events in the log the read models have not applied yet",
    registers: [registry],
    collect() {
      this.set(lag());
    },
  });

  return {
    registry,
    timedIo: (io) => ({
      write: (handle: FileHandle, bytes: Buffer, offset: number, length: number) => {
        // One write per batch, one line per event (a short write is continued from its offset, not counted again).
        if (offset === 0) batch.observe(countLines(bytes));
        return io.write(handle, bytes, offset, length);
      },
      datasync: async (handle: FileHandle) => {
        const end = fsync.startTimer();
        try {
          await io.datasync(handle);
        } finally {
          end();
        }
      },
    }),
    eventAppended: (type) => appended.inc({ type }),
    redacted: (rule, count) => redactions.inc({ rule }, count),
    derivationSeconds: (seconds) => derivation.observe(seconds),
    authFailure: (code) => authFailures.inc({ code }),
    async requests(ctx, next) {
      const end = request.startTimer();
      try {
        await next();
      } finally {
        const route = (ctx as Context & { _matchedRoute?: string | RegExp })._matchedRoute;
        end({ method: ctx.method, route: typeof route === "string" ? route : "unmatched", status: String(ctx.status) });
        const code = (ctx.body as { error?: { code?: unknown } } | null)?.error?.code;
        if (ctx.status >= 400 && typeof code === "string") rejected.inc({ code });
      }
    },
    watchLag: (read) => (lag = read),
  };
}

function countLines(bytes: Buffer): number {
  let lines = 0;
  for (let at = bytes.indexOf(10); at !== -1; at = bytes.indexOf(10, at + 1)) lines++;
  return lines;
}
