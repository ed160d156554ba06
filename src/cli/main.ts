// The `scriptlog` command line: one program, a subcommand per file in this folder.
import path from "node:path";
import { Command, Option } from "commander";
import { port, readConfig, type Config } from "../config.js";
import { ScriptlogError } from "../errors.js";

// Each command's module is loaded when the command runs: `scriptlog run`, which wraps every script a runner
// executes, and `token` then start in tens of milliseconds instead of first loading the server, the analyzer and
// the JetStream client (~550 ms here).
const commands = {
  archive: () => import("./archive.js"),
  export: () => import("./export.js"),
  import: () => import("./import.js"),
  keygen: () => import("./keygen.js"),
  mirror: () => import("./mirror.js"),
  rebuild: () => import("./rebuild.js"),
  run: () => import("./run.js"),
  serve: () => import("./serve.js"),
  simulate: () => import("./simulate.js"),
  logFiles: () => import("./streamMirrorDir.js"),
  token: () => import("./token.js"),
  verify: () => import("./verify.js"),
};

interface DirOptions {
  eventsDir?: string;
  projectionsDir?: string;
}

const dirOptions = (command: Command) =>
  command
    .addOption(new Option("--events-dir <dir>", "the event log directory").env("EVENTS_DIR").default("./events"))
    .addOption(
      new Option("--projections-dir <dir>", "where read-model snapshots are kept").env("PROJECTIONS_DIR").default("./projections"),
    );

/** Runs a command that reads the daily files: a JetStream stream's are mirrored into the events directory first. */
async function onLogFiles(options: DirOptions, run: (config: Config) => Promise<void>): Promise<void> {
  return (await commands.logFiles()).withLogFiles(configFrom(options), run);
}

function configFrom(options: DirOptions & { port?: string; host?: string }): Config {
  return readConfig(process.env, {
    eventsDir: options.eventsDir,
    projectionsDir: options.projectionsDir,
    ...(options.port !== undefined ? { port: port(options.port, "--port") } : {}),
    ...(options.host !== undefined ? { host: options.host } : {}),
  });
}

export function program(): Command {
  const cli = new Command("scriptlog")
    .description("Event-sourced log of AI-generated script executions, and what they teach the next script.")
    .enablePositionalOptions()
    .showHelpAfterError();

  dirOptions(cli.command("serve").description("serve the REST API (what `npm start` runs)"))
    .addOption(new Option("--port <port>", "port to listen on").env("PORT"))
    .addOption(new Option("--host <host>", "address to listen on").env("HOST"))
    .option("--insecure-no-auth", "serve a non-loopback address with no API token (anyone who reaches it can read and write)")
    .action(async (options) => {
      const config = configFrom(options);
      const { serveCommand } = await commands.serve();
      return serveCommand(options.insecureNoAuth ? { ...config, security: { ...config.security, insecureNoAuth: true } } : config);
    });

  const token = cli.command("token").description("API tokens: create (shown once), list, revoke; the file keeps only their hashes");
  const tokensFile = (command: Command) =>
    dirOptions(command).addOption(
      new Option("--tokens-file <file>", "the tokens file (default: beside the events directory)").env("TOKENS_FILE"),
    );
  const tokenConfig = (options: DirOptions & { tokensFile?: string }) => {
    const config = configFrom(options);
    return options.tokensFile ? { ...config, security: { ...config.security, tokensFile: path.resolve(options.tokensFile) } } : config;
  };
  tokensFile(token.command("create").description("add a token and print it (once)"))
    .requiredOption("--scope <scope>", "read | write | admin | metrics")
    .requiredOption("--name <name>", "the token's name, recorded as recorded_by on what it appends")
    .option("--json", "print the result as JSON")
    .action(async (options) => (await commands.token()).tokenCreateCommand(tokenConfig(options), options));
  tokensFile(token.command("list").description("the tokens' names, scopes and creation times (never their secrets)"))
    .option("--json", "print the list as JSON")
    .action(async (options) => (await commands.token()).tokenListCommand(tokenConfig(options), options));
  tokensFile(token.command("revoke").description("remove a token: requests with it are refused at once"))
    .argument("<name>", "the token's name")
    .option("--json", "print the result as JSON")
    .action(async (name: string, options) => (await commands.token()).tokenRevokeCommand(tokenConfig(options), name, options));

  dirOptions(cli.command("rebuild").description("replay the log into fresh read models and write their snapshots"))
    .option("--until <seq|time>", "stop at this seq, or after the last event recorded at or before this ISO-8601 time")
    .option("--out <dir>", "write the snapshots here instead of the projections directory")
    .option("--compare", "report what changed against the snapshots already there, before replacing them")
    .option("--show <n>", "with --compare: how many changed attempts to list", "20")
    .option("--json", "print the report as JSON")
    .action(async (options) => {
      const { rebuildCommand } = await commands.rebuild();
      return onLogFiles(options, (config) => rebuildCommand(config, options));
    });

  dirOptions(cli.command("verify").description("re-check every line of the log and every checkpoint; exit 3 at the first problem"))
    .option("--dir <dir>", "the log directory (same as --events-dir)")
    .option("--pubkey <file>", "verify checkpoint signatures with this verifier key (from keygen)")
    .option("--json", "print the report as JSON")
    // The snapshot beside the configured log proves how far it reached; one beside another --dir proves nothing.
    .action(async (options) => {
      const { verifyCommand } = await commands.verify();
      const verify = (config: Config) =>
        verifyCommand(options.dir ?? config.eventsDir, { ...options, projectionsDir: options.dir ? undefined : config.projectionsDir });
      return options.dir ? verify(configFrom(options)) : onLogFiles(options, verify);
    });

  dirOptions(cli.command("import").description("append attempts from the original system's logs/ tree or from JSON lines"))
    .option("--seed-logs <dir>", "the original system's logs/ directory (failures/, successes/, sessions/)")
    .option("--jsonl <file>", "one POST /api/logs/attempts body per line")
    .option("--json", "print the report as JSON")
    .action(async (options) => (await commands.import()).importCommand(configFrom(options), options));

  dirOptions(cli.command("export").description("write attempts with their derived fields as jsonl, csv or the original's logs/ tree"))
    .requiredOption("--format <format>", "jsonl | csv | seed-layout")
    .requiredOption("--out <path>", "a file (jsonl, csv) or a directory (seed-layout)")
    .option("--since <time>", "only attempts that ran at or after this ISO-8601 time")
    .option("--until <time>", "only attempts that ran at or before this ISO-8601 time")
    .option("--json", "print the report as JSON")
    .action(async (options) => {
      const { exportCommand } = await commands.export();
      return onLogFiles(options, (config) => exportCommand(config, options));
    });

  dirOptions(cli.command("mirror").description("copy the JetStream stream into daily JSONL files, as the file store would hold them"))
    .requiredOption("--to <dir>", "the directory to write (continued where it ends when run again)")
    .option("--json", "print the report as JSON")
    .action(async (options) => (await commands.mirror()).mirrorCommand(configFrom(options), options));

  dirOptions(cli.command("archive").description("move whole daily files older than a date out of the live log, compressed"))
    .requiredOption("--before <date>", "archive the daily files of days before this one (YYYY-MM-DD)")
    .requiredOption("--to <dir>", "the archive directory (verify it with `scriptlog verify --dir DIR`)")
    .option("--json", "print the report as JSON")
    .action(async (options) => (await commands.archive()).archiveCommand(configFrom(options), options));

  cli
    .command("simulate")
    .description("run the learning loop against a real server with a synthetic script generator, and print what it learnt")
    .option("--sessions <n>", "sessions to simulate", "300")
    .option("--seed <s>", "seed of the generator: the same seed writes the same scripts", "1")
    .option("--server <url>", "a running server (default: start one on a temporary directory, AUTO_CONTEXT on)")
    .option("--json", "print the report as JSON")
    .action(async (options) => (await commands.simulate()).simulateCommand(options));

  cli
    .command("run")
    .description("run a script (Python under the exception-capturing bootstrap), record the attempt, exit with its exit code")
    .argument("[command...]", "the command, after --: python3 main.py [args…]")
    .addOption(new Option("--server <url>", "the scriptlog server").env("SCRIPTLOG_URL"))
    .addOption(new Option("--token <token>", "sent as Authorization: Bearer").env("SCRIPTLOG_TOKEN"))
    .addOption(new Option("--spool <file>", "where attempts wait while the server is unreachable").env("SCRIPTLOG_SPOOL"))
    .option("--session <id>", "the session this attempt belongs to")
    .option("--after <log_id>", "the attempt this one retries (previous_attempt_id)")
    .option("--log-id <id>", "the attempt's log_id (default: a new uuid)")
    .option("--prompt <text>", "the user prompt the script was generated for")
    .option("--model <name>", "the AI model that wrote it")
    .option("--image <file>", "the image it works on (image_filename)")
    .option("--context-version <v>", "the AI context version the model was given")
    .option("--tag <tag>", "a tag (repeatable)", (tag: string, tags: string[] = []) => [...tags, tag])
    .option("--timeout <seconds>", "kill the script's process group after this long and record timed_out")
    .option("--out <dir>", "record the files created or changed under this directory")
    .option("--flush", "only send the spooled attempts")
    .option("--json", "also print a JSON summary of the run on stdout")
    .passThroughOptions()
    .action(async (command: string[], options) => {
      const base = readConfig(process.env);
      const client = {
        url: options.server ?? base.client.url,
        token: options.token ?? base.client.token,
        spoolFile: options.spool ? path.resolve(options.spool) : base.client.spoolFile,
      };
      return (await commands.run()).runCommand({ ...base, client }, command, options);
    });

  cli
    .command("keygen")
    .description("write an Ed25519 key pair for signing checkpoints (NAME.key, NAME.pub)")
    .option("--name <name>", "the key's name, also the checkpoints' origin", "scriptlog")
    .option("--out <path>", "path prefix of the two files", "./scriptlog")
    .option("--json", "print the result as JSON")
    .action(async (options) => (await commands.keygen()).keygenCommand(options));

  return cli;
}

// System errors that mean "this cannot be done here", with what to say about each.
const REFUSALS: Record<string, string> = {
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  EROFS: "read-only file system",
  ENOENT: "no such file or directory",
  ENOTDIR: "not a directory",
  EISDIR: "is a directory",
  ENOSPC: "no space left on device",
  EADDRINUSE: "address already in use",
  EADDRNOTAVAIL: "address not available",
};

/** A one-line account of a refusal by the system, or null for anything else. */
function systemRefusal(err: unknown): string | null {
  const { code, syscall, path, address, port } = (err ?? {}) as {
    code?: string;
    syscall?: string;
    path?: string;
    address?: string;
    port?: number;
  };
  const what = code ? REFUSALS[code] : undefined;
  if (!what) return null;
  const target = path ?? (address !== undefined ? `${address}:${port}` : "");
  return `cannot ${syscall ?? "do that"}${target ? ` ${target}` : ""}: ${what} (${code})`;
}

export async function main(argv: string[]): Promise<void> {
  try {
    await program().parseAsync(argv);
  } catch (err) {
    if (err instanceof ScriptlogError) {
      console.error(`scriptlog: ${err.message}`);
      process.exit(err.code === "log_corrupt" ? 3 : 2);
    }
    // What the system refused (a read-only or missing directory, a port in use) is an answer, not a crash.
    const refusal = systemRefusal(err);
    if (refusal) {
      console.error(`scriptlog: ${refusal}`);
      process.exit(2);
    }
    console.error(`scriptlog: unexpected error: ${err instanceof Error ? err.message : String(err)}`);
    if (process.env.SCRIPTLOG_DEBUG) console.error(err);
    process.exit(1);
  }
}
