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
 * The key an event must be the only one of: an attempt's log_id, a context's version, an experiment's id. Each
 * such event goes on a subject of its own, named by a hash of its key (keys may hold any character; subject
 * tokens may not), and is published expecting that subject empty: the stream refuses a second attempt with a
 * log_id however long after the first (beyond the server's duplicate window), and a second ctx-N or experiment
 * decided by another process from a catalog that had not seen the first yet — that process then catches up and
 * decides again.
 */
function uniqueKey(draft: EventDraft): [kind: string, key: string] | null {
  switch (draft.type) {
    case "AttemptFailed":
    case "AttemptSucceeded":
      return ["attempt", draft.data.log_id];
    case "ContextPublished":
      return ["context", draft.data.version];
    case "ExperimentStarted":
      return ["experiment", draft.data.experiment_id];
    default:
      return null;
  }
}

/** The subject an event is published on, and whether it must be the first there. */
export function subjectFor(stream: string, draft: EventDraft): { subject: string; unique: boolean } {
  const prefix = subjectPrefix(stream);
  const unique = uniqueKey(draft);
  if (unique) return { subject: `${prefix}.${unique[0]}.${hash("sha256", unique[1], "hex")}`, unique: true };
  return { subject: `${prefix}.event.${draft.type}`, unique: false };
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
