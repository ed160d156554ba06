// GET /api/logs/stream: Server-Sent Events of attempts, fixes and anomalies as the read models project them.
// Each message of an event carries its seq as `id`, so a client that reconnects with Last-Event-ID (browsers'
// EventSource does it by itself) first gets what it missed, read back from the log, then the live messages.
// Memory per client is bounded: a client whose unsent bytes pass the limit is dropped, and resumes later.
import type { Context } from "koa";
import type { ServerResponse } from "node:http";
import type { Socket } from "node:net";
import type { Subscription } from "rxjs";
import { ScriptlogError } from "../errors.js";
import type { Envelope } from "../events/types.js";
import { projectedMessages, type LiveMessage } from "../projections/liveMessages.js";
import type { ScriptlogService } from "../service/scriptlogService.js";

export interface StreamOptions {
  heartbeatMs: number;
  /** Unsent bytes one client may hold (buffered in its response, or queued while it catches up). */
  clientBufferBytes: number;
}

export function formatMessage(message: LiveMessage): string {
  return `${message.id === null ? "" : `id: ${message.id}\n`}event: ${message.event}\ndata: ${JSON.stringify(message.data)}\n\n`;
}

class StreamClient {
  /** Catching up from the log: live messages wait in `queue` until it is done. */
  private catchingUp = true;
  private queue: Array<{ id: number | null; text: string }> = [];
  private queuedBytes = 0;
  /** The queue outgrew the limit while catching up: it was emptied, and the log is read again instead. */
  private overflowed = false;
  closed = false;

  constructor(
    private readonly res: ServerResponse,
    private readonly socket: Socket,
    /** Every event up to this seq has been sent. */
    private after: number,
    private readonly limit: number,
    private readonly onDrop: (client: StreamClient) => void,
  ) {}

  push(messages: LiveMessage[]): void {
    for (const message of messages) {
      const text = formatMessage(message);
      if (!this.catchingUp) {
        this.write(text);
        continue;
      }
      this.queue.push({ id: message.id, text });
      this.queuedBytes += text.length;
      if (this.queuedBytes > this.limit) {
        this.queue = [];
        this.queuedBytes = 0;
        this.overflowed = true;
      }
    }
  }

  /** A comment line: keeps proxies and the client's own timeout from closing an idle connection. */
  heartbeat(): void {
    if (!this.catchingUp) this.write(`: heartbeat ${new Date().toISOString()}\n\n`);
  }

  /** Sends what the log holds after `after`, up to what the read models have applied, then goes live. */
  async catchUp(service: ScriptlogService): Promise<void> {
    do {
      this.overflowed = false;
      const through = service.queries.seq;
      if (this.after < through) {
        for await (const line of service.rawEvents(this.after)) {
          const envelope = JSON.parse(line) as Envelope;
          if (envelope.seq > through || this.closed) break;
          const text = service.queries.storedMessages(envelope).map(formatMessage).join("");
          if (text && !this.res.write(text)) await new Promise((resolve) => this.res.once("drain", resolve).once("close", resolve));
        }
      }
      this.after = through;
    } while (this.overflowed && !this.closed);
    this.catchingUp = false;
    for (const { id, text } of this.queue) if (id === null || id > this.after) this.write(text);
    this.queue = [];
  }

  private write(text: string): void {
    if (this.closed) return;
    this.res.write(text);
    if (this.res.writableLength > this.limit) this.onDrop(this);
  }

  /** Ends the stream and its connection (an idle keep-alive connection would hold up the server's close). */
  end(): void {
    this.closed = true;
    this.res.end();
    this.socket.end();
  }

  destroy(): void {
    this.closed = true;
    this.res.destroy();
  }
}

export class EventStream {
  private readonly clients = new Set<StreamClient>();
  private readonly subscription: Subscription;
  private readonly heartbeat: NodeJS.Timeout;
  /** Clients dropped for falling too far behind. */
  dropped = 0;
  private closed = false;

  constructor(
    private readonly service: ScriptlogService,
    private readonly options: StreamOptions,
  ) {
    this.subscription = service.projected$.subscribe((event) => {
      if (this.clients.size) this.publish(projectedMessages(event));
    });
    this.heartbeat = setInterval(() => this.clients.forEach((c) => c.heartbeat()), options.heartbeatMs).unref();
  }

  get clientCount(): number {
    return this.clients.size;
  }

  /** Sends messages to every connected client (anomalies come from outside the read models). */
  publish(messages: LiveMessage[]): void {
    for (const client of this.clients) client.push(messages);
  }

  /** Takes over the request's connection; `after` is the seq the client has seen (Last-Event-ID), or null for "from now". */
  open(ctx: Context, after: number | null): void {
    if (this.closed) throw new ScriptlogError("not_ready", "the server is shutting down");
    if (!this.service.ready) throw new ScriptlogError("not_ready", "the log is still being replayed");
    const head = this.service.queries.seq;
    if (after !== null && after > head) {
      throw new ScriptlogError("invalid_argument", `Last-Event-ID ${after} is beyond this log's last event (seq ${head})`, {
        after,
        seq: head,
      });
    }
    ctx.status = 200;
    ctx.respond = false;
    ctx.req.socket.setTimeout(0);
    ctx.req.socket.setNoDelay(true);
    const res = ctx.res;
    res.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache",
      connection: "keep-alive",
      "x-accel-buffering": "no",
    });
    res.write(`retry: 2000\n: scriptlog stream from seq ${after ?? head}\n\n`);
    const client = new StreamClient(res, ctx.req.socket, after ?? head, this.options.clientBufferBytes, (slow) => {
      this.dropped++;
      this.clients.delete(slow);
      slow.destroy();
    });
    this.clients.add(client);
    res.once("close", () => {
      client.closed = true;
      this.clients.delete(client);
    });
    // A client that goes away only half-closes its end: the response never finishes, so nothing else would.
    ctx.req.socket.once("end", () => ctx.req.socket.destroy());
    client.catchUp(this.service).catch((err) => {
      console.error("scriptlog: stream catch-up failed:", err);
      this.clients.delete(client);
      client.destroy();
    });
  }

  /** Ends every stream (so the server can close) and stops following the service. */
  close(): void {
    this.closed = true;
    clearInterval(this.heartbeat);
    this.subscription.unsubscribe();
    for (const client of this.clients) client.end();
    this.clients.clear();
  }
}
