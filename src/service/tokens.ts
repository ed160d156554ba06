// API tokens: a JSON file (mode 0600) that holds each token's name, scope and the sha256 of its secret, never the
// secret itself. The server re-reads it when it changes, so `scriptlog token create|revoke` take effect at once.
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { chmodSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import lockfile from "proper-lockfile";
import { ScriptlogError } from "../errors.js";

export const SCOPES = ["read", "write", "admin", "metrics"] as const;
export type Scope = (typeof SCOPES)[number];

/** What each scope may do: admin everything; write posts attempts and reads them back (the clients do both). */
export const GRANTS: Record<Scope, readonly Scope[]> = {
  read: ["read"],
  write: ["write", "read"],
  admin: ["admin", "write", "read", "metrics"],
  metrics: ["metrics"],
};

export interface StoredToken {
  name: string;
  scope: Scope;
  /** sha256 hex of the secret. */
  sha256: string;
  created_at: string;
}

const TOKEN_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const HEX64 = /^[0-9a-f]{64}$/;

const digest = (secret: string) => createHash("sha256").update(secret).digest();

export function isScope(value: string): value is Scope {
  return (SCOPES as readonly string[]).includes(value);
}

/** The tokens a file holds; none when it does not exist. A file that cannot be read as tokens is refused. */
export function readTokens(file: string): StoredToken[] {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw err;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ScriptlogError("invalid_argument", `${file} is not a tokens file (not JSON)`, { file });
  }
  const tokens = (parsed as { tokens?: unknown }).tokens;
  const valid = (t: unknown): t is StoredToken => {
    const { name, scope, sha256 } = (t ?? {}) as Record<string, unknown>;
    return (
      typeof name === "string" &&
      TOKEN_NAME.test(name) &&
      typeof scope === "string" &&
      isScope(scope) &&
      typeof sha256 === "string" &&
      HEX64.test(sha256)
    );
  };
  if (!Array.isArray(tokens) || !tokens.every(valid))
    throw new ScriptlogError("invalid_argument", `${file} is not a tokens file`, { file });
  return tokens;
}

function writeTokens(file: string, tokens: StoredToken[]): void {
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, JSON.stringify({ tokens }, null, 2) + "\n", { mode: 0o600 });
  chmodSync(temp, 0o600); // the mode given to writeFileSync is narrowed by the umask, never widened, but a stale temp keeps its own
  renameSync(temp, file);
}

/**
 * Runs a read-modify-write of the tokens file under its lock (`<file>.lock`), so two commands at once cannot
 * each write the file without the other's change. A lock left by a killed command is taken over once stale.
 */
async function changingTokens<T>(file: string, change: () => T): Promise<T> {
  const release = await lockfile
    .lock(file, {
      realpath: false, // the file need not exist yet
      stale: 10_000,
      // A change holds the lock for a millisecond or so: about 1.5 s of retries outwait any queue of them.
      retries: { retries: 20, minTimeout: 10, maxTimeout: 80 },
    })
    .catch((err: NodeJS.ErrnoException) => {
      if (err.code !== "ELOCKED") throw err;
      throw new ScriptlogError("tokens_locked", `${file} is being changed by another command (its lock ${file}.lock is held); try again`, {
        file,
      });
    });
  try {
    return change();
  } finally {
    await release();
  }
}

/** Adds a token and returns its secret, which is shown once and stored nowhere. */
export function createToken(file: string, name: string, scope: Scope, now = new Date()): Promise<string> {
  return changingTokens(file, () => addToken(file, name, scope, now));
}

function addToken(file: string, name: string, scope: Scope, now: Date): string {
  if (!TOKEN_NAME.test(name)) {
    throw new ScriptlogError("invalid_argument", `a token name is 1-64 letters, digits, '.', '_' or '-', not '${name.slice(0, 80)}'`, {
      name,
    });
  }
  const tokens = readTokens(file);
  if (tokens.some((t) => t.name === name)) {
    throw new ScriptlogError("invalid_argument", `a token named '${name}' exists: revoke it first, or choose another name`, { name });
  }
  const secret = `slt_${randomBytes(32).toString("base64url")}`;
  writeTokens(file, [...tokens, { name, scope, sha256: digest(secret).toString("hex"), created_at: now.toISOString() }]);
  return secret;
}

export function revokeToken(file: string, name: string): Promise<StoredToken> {
  return changingTokens(file, () => removeToken(file, name));
}

function removeToken(file: string, name: string): StoredToken {
  const tokens = readTokens(file);
  const revoked = tokens.find((t) => t.name === name);
  if (!revoked) throw new ScriptlogError("not_found", `no token named '${name}' in ${file}`, { name });
  writeTokens(
    file,
    tokens.filter((t) => t !== revoked),
  );
  return revoked;
}

/** The tokens the server checks requests against, re-read whenever the file changes. */
export class TokenStore {
  private tokens: StoredToken[] = [];
  private version = "";

  constructor(readonly file: string) {
    this.current();
  }

  /** The tokens as the file holds them now (a stat per call: cheap beside a request). */
  current(): StoredToken[] {
    let version: string;
    try {
      const stat = statSync(this.file);
      version = `${stat.mtimeMs}:${stat.size}:${stat.ino}`;
    } catch {
      version = "absent";
    }
    if (version !== this.version) {
      this.tokens = readTokens(this.file);
      this.version = version;
    }
    return this.tokens;
  }

  /**
   * The token whose secret this is, or null. Every stored hash is compared, in constant time, whatever
   * matches: the time taken says nothing about which token, or how much of one, was guessed.
   */
  find(secret: string): StoredToken | null {
    const presented = digest(secret);
    let found: StoredToken | null = null;
    for (const token of this.current()) if (timingSafeEqual(presented, Buffer.from(token.sha256, "hex"))) found = token;
    return found;
  }
}
