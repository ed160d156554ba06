// A Server-Sent Events client for tests: parses the stream as it arrives and waits for conditions on it.

export interface SseMessage {
  id: string | null;
  event: string;
  data: any;
}

export interface SseClient {
  status: number;
  messages: SseMessage[];
  /** The id of the latest message that had one, as EventSource keeps it for a reconnect. */
  lastEventId: string | null;
  /** Comment lines (heartbeats) seen so far. */
  comments: string[];
  /** Resolves once `check` holds for what has arrived; rejects if the stream ends first or after `ms`. */
  until(check: (client: SseClient) => boolean, what: string, ms?: number): Promise<void>;
  ended: Promise<void>;
  close(): void;
}

export async function openStream(url: string, headers: Record<string, string> = {}): Promise<SseClient> {
  const abort = new AbortController();
  const res = await fetch(url, { headers: { accept: "text/event-stream", ...headers }, signal: abort.signal });
  const waiters = new Set<() => void>();
  const client: SseClient = {
    status: res.status,
    messages: [],
    lastEventId: null,
    comments: [],
    until(check, what, ms = 10_000) {
      if (check(client)) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => finish(new Error(`timed out waiting for ${what}; got ${JSON.stringify(client.messages.slice(-5))}`)),
          ms,
        );
        const finish = (err?: Error) => {
          clearTimeout(timer);
          waiters.delete(waiter);
          if (err) reject(err);
          else resolve();
        };
        const waiter = () => {
          if (check(client)) finish();
          else if (done) finish(new Error(`the stream ended before ${what}`));
        };
        waiters.add(waiter);
      });
    },
    ended: Promise.resolve(),
    close: () => abort.abort(),
  };
  let done = false;
  const notify = () => [...waiters].forEach((w) => w());
  client.ended = (async () => {
    if (!res.body || res.status !== 200) return;
    const decoder = new TextDecoder();
    let buffer = "";
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let end: number;
        while ((end = buffer.indexOf("\n\n")) >= 0) {
          parseBlock(buffer.slice(0, end), client);
          buffer = buffer.slice(end + 2);
        }
        notify();
      }
    } catch {
      // aborted by close(), or the server dropped the connection
    } finally {
      done = true;
      notify();
    }
  })();
  return client;
}

function parseBlock(block: string, client: SseClient): void {
  let id: string | null = null;
  let event = "message";
  const data: string[] = [];
  for (const line of block.split("\n")) {
    if (line.startsWith(":")) client.comments.push(line.slice(1).trim());
    else if (line.startsWith("id: ")) id = line.slice(4);
    else if (line.startsWith("event: ")) event = line.slice(7);
    else if (line.startsWith("data: ")) data.push(line.slice(6));
  }
  if (id !== null) client.lastEventId = id;
  if (data.length) client.messages.push({ id, event, data: JSON.parse(data.join("\n")) });
}
