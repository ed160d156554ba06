// Opens the event log on the engine the configuration names: the daily files in `dir`, or a JetStream stream
// mirrored into them.
import { EventLog, type EventLogOptions } from "./eventLog.js";
import type { EventStore } from "./eventStore.js";
import { JetStreamLog } from "./jetstream/jetStreamLog.js";
import type { JetStreamSettings } from "./jetstream/stream.js";

export function openEventStore(
  dir: string,
  jetstream: JetStreamSettings | null | undefined,
  options: EventLogOptions = {},
): Promise<EventStore> {
  return jetstream ? JetStreamLog.open(dir, jetstream, options) : EventLog.open(dir, options);
}
