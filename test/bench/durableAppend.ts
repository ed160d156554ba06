// The write benchmark's middle baseline: Koa + koa-body, then the log's own durable append of one
// AttemptFailed event (schema check, canonical JSON, hash chain, group-committed write + fsync) and nothing
// else — no request validation, idempotency, sessions, derivation or projections. What separates it from
// bare Koa is the price of durability; what separates scriptlog from it is everything the service derives.
import Koa from "koa";
import { koaBody } from "koa-body";
import { randomUUID } from "node:crypto";
import type { AddressInfo } from "node:net";
import { EventLog } from "../../src/store/eventLog.js";
import type { AttemptFailedData } from "../../src/events/types.js";

const log = await EventLog.open(process.env.EVENTS_DIR!);
log.events$().subscribe();
await log.replayed;

const app = new Koa();
app.use(koaBody({ jsonLimit: 1024 * 1024 }));
app.use(async (ctx) => {
  const { status: _status, ...facts } = ctx.request.body as Record<string, unknown>;
  const data = { log_id: randomUUID(), session_id: randomUUID(), timestamp: new Date().toISOString(), session_assigned: true, ...facts };
  const [event] = await log.append([{ type: "AttemptFailed", data: data as unknown as AttemptFailedData }]);
  ctx.status = 201;
  ctx.body = { success: true, log_id: data.log_id, seq: event.envelope.seq };
});
const server = app.listen(Number(process.env.PORT ?? 0), "127.0.0.1", () =>
  console.log(`listening on http://127.0.0.1:${(server.address() as AddressInfo).port}`),
);
process.on("SIGTERM", () => server.close(() => void log.close().then(() => process.exit(0))));
