// One specification for every event store: the daily files and a JetStream stream (a real nats-server) must
// behave the same to the service above them.
import { expect } from "chai";
import path from "node:path";
import { lastValueFrom, tap, toArray } from "rxjs";
import type { EventDraft } from "../src/events/types.js";
import { EventLog } from "../src/store/eventLog.js";
import type { EventStore } from "../src/store/eventStore.js";
import { JetStreamLog } from "../src/store/jetstream/jetStreamLog.js";
import { startNats, stopAllNats, type NatsCluster } from "./helpers/nats.js";
import { removeTempDirs, tempDir } from "./helpers/server.js";

const failed = (log_id: string): EventDraft => ({
  type: "AttemptFailed",
  data: {
    log_id,
    session_id: "s1",
    timestamp: "2026-11-25T10:00:00.000Z",
    request_hash: "0".repeat(64),
    session_assigned: false,
    code: "x",
  },
});
const linked = (log_id: string, previous: string): EventDraft => ({
  type: "AttemptLinked",
  data: { log_id, previous_attempt_id: previous, session_id: "s1" },
});

/** Opens the store at `dir`, replays it to its end and returns it ready for appends. */
async function ready(
  open: (dir: string) => Promise<EventStore>,
  dir: string,
): Promise<{ store: EventStore; replayed: string[]; ended: Promise<string[]> }> {
  const store = await open(dir);
  const replayed: string[] = [];
  const ended = lastValueFrom(
    store.events$().pipe(
      tap((e) => replayed.push(`${e.envelope.seq}:${e.envelope.type}`)),
      toArray(),
    ),
    {
      defaultValue: [],
    },
  ).then(() => [...replayed]);
  await store.replayed;
  return { store, replayed, ended };
}

function contract(name: string, setUp: () => Promise<(dir: string) => Promise<EventStore>>, tearDown: () => Promise<void>) {
  describe(`event store contract: ${name}`, function () {
    this.timeout(30_000);
    let open: (dir: string) => Promise<EventStore>;
    before(async () => {
      open = await setUp();
    });
    after(async () => {
      await tearDown();
      removeTempDirs();
    });

    it("gives a request's events consecutive seqs from 1 on a valid chain, and reads each back where it lies", async () => {
      const { store } = await ready(open, path.join(tempDir(), "log"));
      try {
        const stored = await store.append([failed("a1"), linked("a1", "a0")]);
        expect(stored.map((s) => s.envelope.seq)).to.deep.equal([1, 2]);
        expect(stored[1].envelope.prev_hash).to.equal(stored[0].envelope.hash);
        expect(store.readEnvelope(stored[1].location)).to.deep.equal(stored[1].envelope);
        expect(store.chainHead).to.deep.equal({ seq: 2, hash: stored[1].envelope.hash });
      } finally {
        await store.close();
      }
    });

    it("keeps concurrent requests whole and in the order they were appended", async () => {
      const { store } = await ready(open, path.join(tempDir(), "log"));
      try {
        const results = await Promise.all(Array.from({ length: 20 }, (_, i) => store.append([failed(`c${i}`), linked(`c${i}`, "p")])));
        results.forEach((events, i) => {
          expect(events.map((e) => e.envelope.seq)).to.deep.equal([2 * i + 1, 2 * i + 2]);
          expect((events[0].envelope.data as { log_id: string }).log_id).to.equal(`c${i}`);
        });
      } finally {
        await store.close();
      }
    });

    it("refuses an event that does not match its schema, appending nothing", async () => {
      const { store } = await ready(open, path.join(tempDir(), "log"));
      try {
        const bad = { type: "AttemptLinked", data: { log_id: "x" } } as unknown as EventDraft;
        let error: { code?: string } = {};
        await store.append([failed("ok"), bad]).catch((err) => (error = err));
        expect(error.code).to.equal("validation_failed");
        expect(store.chainHead.seq).to.equal(0);
      } finally {
        await store.close();
      }
    });

    it("replays everything on reopening, then passes on new appends, continuing the same chain", async () => {
      const dir = path.join(tempDir(), "log");
      const first = await ready(open, dir);
      await first.store.append([failed("r1")]);
      await first.store.append([failed("r2"), linked("r2", "r1")]);
      const head = first.store.chainHead;
      await first.store.close();
      const second = await ready(open, dir);
      try {
        expect(second.replayed).to.deep.equal(["1:AttemptFailed", "2:AttemptFailed", "3:AttemptLinked"]);
        expect(second.store.chainHead).to.deep.equal(head);
        const [next] = await second.store.append([failed("r3")]);
        expect(next.envelope.seq).to.equal(4);
        expect(next.envelope.prev_hash).to.equal(head.hash);
      } finally {
        await second.store.close();
      }
      // One subscription saw the replay, then the live append, in order.
      expect(await second.ended).to.deep.equal(["1:AttemptFailed", "2:AttemptFailed", "3:AttemptLinked", "4:AttemptFailed"]);
    });

    it("ends the stream of events on close", async () => {
      const { store, ended } = await ready(open, path.join(tempDir(), "log"));
      try {
        await store.append([failed("e1")]);
      } finally {
        await store.close();
      }
      expect(await ended).to.deep.equal(["1:AttemptFailed"]);
    });
  });
}

contract(
  "daily files",
  async () => (dir) => EventLog.open(dir),
  async () => undefined,
);

let nats: NatsCluster | null = null;
contract(
  "NATS JetStream",
  async () => {
    nats = await startNats(1);
    const url = nats.url;
    // A stream per log directory: each test's log is a new one, and reopening a directory reopens its stream.
    const streams = new Map<string, string>();
    return (dir) => {
      if (!streams.has(dir)) streams.set(dir, `CONTRACT${streams.size + 1}`);
      return JetStreamLog.open(dir, { url, stream: streams.get(dir)!, replicas: 1 });
    };
  },
  async () => {
    await nats?.stop();
    stopAllNats();
  },
);
