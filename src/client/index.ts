// A typed client of the scriptlog REST API: `import { ScriptlogClient } from "scriptlog"`. Request and response
// types come from api.generated.ts, which `npm run build` generates from the server's own OpenAPI document
// (scripts/generateClientTypes.ts), so they cannot drift from what the server checks.
import type { components, paths } from "./api.generated.js";

export type { components, paths };
export type AttemptRequest = components["schemas"]["AttemptRequest"];
export type FailedAttempt = components["schemas"]["FailedAttempt"];
export type SuccessfulAttempt = components["schemas"]["SuccessfulAttempt"];
export type ExceptionReport = NonNullable<FailedAttempt["exception"]>;
export type AttemptResult = paths["/api/logs/attempts"]["post"]["responses"]["201"]["content"]["application/json"];
export type ApiError = components["schemas"]["Error"]["error"];
type Query<P extends keyof paths> = paths[P] extends { get: { parameters: { query?: infer Q } } } ? NonNullable<Q> : never;
type Answer<P extends keyof paths> = paths[P] extends { get: { responses: { 200: { content: { "application/json": infer A } } } } }
  ? A
  : never;

/** The server answered with an error: its HTTP status and the API's machine-readable code. */
export class ScriptlogApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(`${status} ${code}: ${message}`);
    this.name = "ScriptlogApiError";
  }
}

/** The server could not be reached at all (refused, reset, timed out): the request may be retried later. */
export class ScriptlogUnreachableError extends Error {
  constructor(
    readonly url: string,
    cause: unknown,
  ) {
    super(`scriptlog server at ${url} unreachable: ${(cause as Error)?.message ?? cause}`, { cause });
    this.name = "ScriptlogUnreachableError";
  }
}

export interface ClientOptions {
  /** Sent as `Authorization: Bearer TOKEN`. */
  token?: string | null;
  /** Per request; default 30 s. */
  timeoutMs?: number;
}

export interface AttemptOutcome extends AttemptResult {
  /** The server had already recorded this log_id with this very body (`Idempotent-Replay: true`). */
  replayed: boolean;
}

export interface AiContext {
  /** Markdown to put in the code generator's system prompt. */
  text: string;
  /** The published context version it is: send it with the attempt as context_version. Null for generated text. */
  version: string | null;
  /** The experiment and arm a session was assigned to, when one runs. */
  experiment?: string;
  variant?: string;
}

export class ScriptlogClient {
  readonly url: string;
  /**
   * The highest seq a write was answered with: reads send it as min_seq, so they see this client's writes (a
   * write is answered once it is in the log, a moment before the read models hold it).
   */
  writtenSeq = 0;
  constructor(
    url: string,
    private readonly options: ClientOptions = {},
  ) {
    let base = url;
    while (base.endsWith("/")) base = base.slice(0, -1);
    this.url = base;
  }

  /** POST /api/logs/attempts. Send a log_id of your own to make retries of the same request idempotent. */
  async recordAttempt(body: AttemptRequest): Promise<AttemptOutcome> {
    const res = await this.request("POST", "/api/logs/attempts", body);
    const seq = Number(res.headers.get("x-scriptlog-seq"));
    if (seq > this.writtenSeq) this.writtenSeq = seq;
    return { ...(res.body as AttemptResult), replayed: res.headers.get("idempotent-replay") === "true" };
  }

  /**
   * The AI context for the next generation: GET /api/contexts/current (the current published version, or a
   * session's experiment arm); a server without context versions, or with none published yet, gets the text of
   * GET /api/logs/ai-context with version null.
   */
  async context(sessionId?: string): Promise<AiContext> {
    const query = sessionId === undefined ? "" : `?session_id=${encodeURIComponent(sessionId)}`;
    let answer: { context?: { version?: string; text?: string } | null; experiment?: string | null; variant?: string | null } = {};
    try {
      answer = (await this.request("GET", `/api/contexts/current${query}`)).body as typeof answer;
    } catch (err) {
      if (!(err instanceof ScriptlogApiError && err.status === 404 && err.message.includes("no route"))) throw err;
    }
    const extra = {
      ...(answer.experiment ? { experiment: answer.experiment } : {}),
      ...(answer.variant ? { variant: answer.variant } : {}),
    };
    if (typeof answer.context?.text === "string") return { text: answer.context.text, version: answer.context.version ?? null, ...extra };
    const generated = await this.aiContext();
    return { text: String(generated.context), version: null, ...extra };
  }

  health(): Promise<{ status: string; seq: number }> {
    return this.request("GET", "/health").then((r) => r.body as { status: string; seq: number });
  }
  log(logId: string): Promise<Answer<"/api/logs/log/{log_id}">> {
    return this.get(`/api/logs/log/${encodeURIComponent(logId)}`);
  }
  session(sessionId: string): Promise<Answer<"/api/logs/session/{session_id}">> {
    return this.get(`/api/logs/session/${encodeURIComponent(sessionId)}`);
  }
  summary(): Promise<Answer<"/api/logs/summary">> {
    return this.get("/api/logs/summary");
  }
  failures(query: Query<"/api/logs/failures"> = {}): Promise<Answer<"/api/logs/failures">> {
    return this.get("/api/logs/failures", query);
  }
  successes(query: Query<"/api/logs/successes"> = {}): Promise<Answer<"/api/logs/successes">> {
    return this.get("/api/logs/successes", query);
  }
  errorPatterns(query: Query<"/api/logs/error-patterns"> = {}): Promise<Answer<"/api/logs/error-patterns">> {
    return this.get("/api/logs/error-patterns", query);
  }
  recommendations(): Promise<Answer<"/api/logs/recommendations">> {
    return this.get("/api/logs/recommendations");
  }
  aiContext(query: Query<"/api/logs/ai-context"> = {}): Promise<Answer<"/api/logs/ai-context">> {
    return this.get("/api/logs/ai-context", query);
  }

  private async get<T>(path: string, query: Record<string, unknown> = {}): Promise<T> {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v !== undefined) params.set(k, String(v));
    if (this.writtenSeq > 0) params.set("min_seq", String(this.writtenSeq));
    const qs = params.size ? `?${params}` : "";
    return (await this.request("GET", path + qs)).body as T;
  }

  private async request(method: "GET" | "POST", path: string, body?: unknown): Promise<{ body: unknown; headers: Headers }> {
    const headers: Record<string, string> = { accept: "application/json" };
    if (body !== undefined) headers["content-type"] = "application/json";
    if (this.options.token) headers.authorization = `Bearer ${this.options.token}`;
    let res: Response;
    try {
      res = await fetch(this.url + path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 30_000),
      });
    } catch (err) {
      throw new ScriptlogUnreachableError(this.url, err);
    }
    const text = await res.text();
    let parsed: unknown = null;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON: reported below as it came
    }
    if (!res.ok) {
      const error = (parsed as { error?: ApiError } | null)?.error;
      throw new ScriptlogApiError(res.status, error?.code ?? "http_error", error?.message ?? text.slice(0, 500), error?.details ?? {});
    }
    return { body: parsed, headers: res.headers };
  }
}
