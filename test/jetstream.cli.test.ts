// Every CLI command on the JetStream store (EVENT_STORE=jetstream): import, verify, rebuild, export and mirror
// against a real single-node nats-server, and what they give compared with the file store.
import { expect } from "chai";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { SEED_LOGS } from "./helpers/corpus.js";
import { startNats, stopAllNats, type NatsCluster } from "./helpers/nats.js";
import { removeTempDirs, runCli, tempDir } from "./helpers/server.js";

/**
 * An export's entries without `origin`: it names the seed file an attempt was imported from, which an import of
 * JSON lines does not have (that is so on the file store too).
 */
const withoutOrigin = (file: string) =>
  readFileSync(file, "utf8")
    .trim()
    .split("\n")
    .map((line) => ({ ...JSON.parse(line), origin: undefined }));

/** Every file of a directory (snapshots: one per read model), by name. */
function filesIn(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  for (const f of readdirSync(dir).sort()) files[f] = readFileSync(path.join(dir, f), "utf8");
  return files;
}

describe("CLI commands on the JetStream store (one node)", function () {
  this.timeout(180_000);
  let nats: NatsCluster;
  before(async () => {
    nats = await startNats(1);
  });
  after(async () => {
    await nats?.stop();
    stopAllNats();
    removeTempDirs();
  });

  /** Runs a command; expects exit 0 and, with --json, returns the report. */
  async function ok(args: string[], env: Record<string, string> = {}) {
    const run = await runCli(args, env);
    expect(run.code, `scriptlog ${args.join(" ")}: ${run.stdout}${run.stderr}`).to.equal(0);
    return args.includes("--json") ? JSON.parse(run.stdout.trim().split("\n").pop()!) : run.stdout;
  }

  it("given the shared real logs imported into a stream: verify, rebuild and export work on it, and a file log restored from the export matches", async () => {
    const root = tempDir();
    const env = { EVENT_STORE: "jetstream", NATS_URL: nats.url, NATS_STREAM: "CLI" };
    const onStream = ["--events-dir", path.join(root, "stream-mirror"), "--projections-dir", path.join(root, "stream-projections")];

    // import --seed-logs appends to the stream; a second run finds everything already there.
    const imported = await ok(["import", "--seed-logs", SEED_LOGS, "--json", ...onStream], env);
    expect(imported.attempts).to.be.greaterThan(50);
    expect(imported.skipped).to.deep.equal([]);
    const again = await ok(["import", "--seed-logs", SEED_LOGS, "--json", ...onStream], env);
    expect(again).to.include({ attempts: 0, links: 0, fixes: 0, already_present: imported.attempts });
    const events = imported.attempts + imported.links + imported.fixes;

    const verified = await ok(["verify", "--json", ...onStream], env);
    expect(verified).to.include({ ok: true, events });
    const rebuilt = await ok(["rebuild", "--json", ...onStream], env);
    expect(rebuilt).to.include({ events, seq: events });
    const exportFromStream = path.join(root, "stream.jsonl");
    expect(await ok(["export", "--format", "jsonl", "--out", exportFromStream, "--json", ...onStream], env)).to.include({
      attempts: imported.attempts,
      seq: events,
    });

    // The same events as daily files: the read models rebuilt from them are byte for byte the stream's.
    const mirror = path.join(root, "audit");
    expect(await ok(["mirror", "--to", mirror, "--json"], env)).to.include({ head_seq: events });
    await ok(["verify", "--dir", mirror]);
    const fromFiles = path.join(root, "file-projections");
    await ok(["rebuild", "--json", "--events-dir", mirror, "--projections-dir", fromFiles]);
    expect(filesIn(fromFiles)).to.deep.equal(filesIn(path.join(root, "stream-projections")));

    // export → import --jsonl into a file log → export: the same entries (but where they were imported from).
    const fileLog = ["--events-dir", path.join(root, "file-log"), "--projections-dir", path.join(root, "file-log-projections")];
    expect(await ok(["import", "--jsonl", exportFromStream, "--json", ...fileLog])).to.include({ attempts: imported.attempts });
    expect(await ok(["verify", "--json", ...fileLog])).to.include({ ok: true });
    const exportFromFiles = path.join(root, "files.jsonl");
    await ok(["export", "--format", "jsonl", "--out", exportFromFiles, ...fileLog]);
    expect(withoutOrigin(exportFromFiles)).to.deep.equal(withoutOrigin(exportFromStream));

    // …and the same import --jsonl into another stream exports byte for byte what the file log does.
    const env2 = { ...env, NATS_STREAM: "CLI_RESTORED" };
    const onStream2 = ["--events-dir", path.join(root, "stream2-mirror"), "--projections-dir", path.join(root, "stream2-projections")];
    expect(await ok(["import", "--jsonl", exportFromFiles, "--json", ...onStream2], env2)).to.include({ attempts: imported.attempts });
    expect(await ok(["verify", "--json", ...onStream2], env2)).to.include({ ok: true });
    const exportFromStream2 = path.join(root, "stream2.jsonl");
    await ok(["export", "--format", "jsonl", "--out", exportFromStream2, ...onStream2], env2);
    expect(readFileSync(exportFromStream2, "utf8")).to.equal(readFileSync(exportFromFiles, "utf8"));
  });
});
