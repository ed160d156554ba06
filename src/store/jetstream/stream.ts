// How the log maps onto a JetStream stream: one message per envelope, the stream sequence as the log's seq.
import { hash } from "node:crypto";
import { connect } from "@nats-io/transport-node";
import type { NatsConnection } from "@nats-io/nats-core";
import { DiscardPolicy, jetstreamManager, RetentionPolicy, StorageType, type JetStreamManager } from "@nats-io/jetstream";
import type { EventDraft } from "../../events/types.js";
import { ScriptlogError } from "../../errors.js";

export interface JetStreamSettings {
  /** NATS server URLs, comma-separated. */
  url: string;
  stream: string;
  replicas: number;
}

/** Subjects live under the stream's name in lower case, so two logs on one cluster never share one. */
export function subjectPrefix(stream: string): string {
  return stream.toLowerCase();
}

/**
 * An attempt's events go on a subject of their own, named by a hash of its log_id (log_ids may hold any
 * character; subject tokens may not): publishing it with an expected last subject sequence of 0 refuses a
 * second attempt with that log_id however long after the first, beyond the server's duplicate window.
 */
export function subjectFor(stream: string, draft: EventDraft): string {
  const prefix = subjectPrefix(stream);
  if (draft.type === "AttemptFailed" || draft.type === "AttemptSucceeded") {
    return `${prefix}.attempt.${hash("sha256", draft.data.log_id, "hex")}`;
  }
  return `${prefix}.event.${draft.type}`;
}

export async function connectNats(settings: JetStreamSettings, name: string): Promise<NatsConnection> {
  try {
    return await connect({ servers: settings.url.split(","), name, maxReconnectAttempts: -1, reconnectTimeWait: 250 });
  } catch (err) {
    throw new ScriptlogError("log_unavailable", `cannot reach NATS at ${settings.url}: ${(err as Error).message}`, { url: settings.url });
  }
}

/**
 * Creates the stream, or checks the one there: no deletes, no purges, no limits, so the stream sequence stays
 * gapless and every message stays — the properties the hash chain relies on.
 */
export async function ensureStream(nc: NatsConnection, settings: JetStreamSettings): Promise<JetStreamManager> {
  const jsm = await jetstreamManager(nc);
  const wanted = {
    name: settings.stream,
    subjects: [`${subjectPrefix(settings.stream)}.>`],
    storage: StorageType.File,
    retention: RetentionPolicy.Limits,
    discard: DiscardPolicy.New,
    num_replicas: settings.replicas,
    deny_delete: true,
    deny_purge: true,
    allow_rollup_hdrs: false,
    max_age: 0,
    max_msgs: -1,
    max_bytes: -1,
  };
  const existing = await jsm.streams.info(settings.stream).catch(() => null);
  if (!existing) {
    await jsm.streams.add(wanted);
    return jsm;
  }
  const config = existing.config;
  const unsafe: string[] = [];
  if (!config.deny_delete) unsafe.push("deletes are allowed");
  if (!config.deny_purge) unsafe.push("purges are allowed");
  if (config.max_age > 0 || config.max_msgs > 0 || config.max_bytes > 0) unsafe.push("it has an age, count or size limit");
  if (unsafe.length) {
    throw new ScriptlogError("invalid_argument", `stream ${settings.stream} cannot hold a log: ${unsafe.join(", ")}`, {
      stream: settings.stream,
    });
  }
  return jsm;
}
