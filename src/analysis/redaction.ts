// Secrets found in free text are replaced by `[REDACTED:<rule>]` before an attempt becomes an event: the log is
// append-only and hash-chained, so whatever reaches it can never be removed. Two detectors: secretlint's
// recommended preset (the provider formats it keeps up to date: AWS, GitHub, Slack, OpenAI, GCP, …) and the
// rules below for what it leaves out (credentials in assignments and headers, passwords in URLs, PEM blocks,
// high-entropy strings next to a word that says "secret").
import { lintSource } from "@secretlint/core";
import { secretLintProfiler } from "@secretlint/profiler";
import { creator as recommended } from "@secretlint/secretlint-rule-preset-recommend";
import type { RedactionSettings } from "../config.js";
import type { ExceptionReport } from "../events/types.js";

interface Rule {
  name: string;
  /** Global: the secret is the last capture group that took part, else the whole match (groups end the match). */
  pattern: RegExp;
  /** Whether a match is a secret at all (say, only a value assigned to a credential name that is not code). */
  secret?: (match: RegExpMatchArray, value: string) => boolean;
  /** The secret runs on to the end of this text after the match (or to the end of the field). */
  until?: string;
}

/**
 * A value assigned to a credential name that is code, not a secret: an identifier (`token = tokens`), an
 * attribute or call (`auth = requests.auth`), a literal of the language, a placeholder, or nothing.
 */
const CODE_VALUE = /^(?:[A-Za-z_]+|[A-Za-z_]\w*\.[\w.]*|\*+|<[^<>]*>|\$\{?\w+\}?)$/;
/** A quoted value that holds no secret: a placeholder. */
const PLACEHOLDER = /^(?:\*+|x+|\.\.\.|<[^<>]*>|\$\{?\w+\}?|%s|\{\w*\})$/;
/** Names a value is a credential by (`auth` also matches Authorization, whose value "bearer" catches). */
const CREDENTIAL_NAME = /passw|pwd|secret|api_?key|apikey|access_?key|token|auth|credential|private_?key/i;
/** An assignment to a credential name of a value that is not code. */
const isCredential = (m: RegExpMatchArray, value: string) =>
  CREDENTIAL_NAME.test(m[1]) && !(m[4] === undefined ? PLACEHOLDER : CODE_VALUE).test(value);

const RULES: Rule[] = [
  // Authorization: Bearer <token>, in a header dump, a curl command or an exception message.
  { name: "bearer", pattern: /\bBearer[ \t]+([A-Za-z0-9._~+/-]{8,}=*)/g },
  // The whole block, BEGIN to END, whatever kind of private key (a block cut off by truncation is redacted to the end).
  { name: "private-key", pattern: /-----BEGIN [A-Z0-9 ]{0,40}PRIVATE KEY( BLOCK)?-----/g, until: "-----END" },
  // scheme://user:password@host: the password.
  { name: "url-password", pattern: /:\/\/[^\s:/@]{1,100}:([^\s/@]{1,200})@/g },
  // OpenAI keys of every generation (secretlint's rule expects the older layout only).
  { name: "openai", pattern: /\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}/g },
  // password = "…", API_KEY: …, --token=…, "client_secret": "…": the value, unless it is code.
  {
    name: "credential",
    pattern:
      /(?<![A-Za-z0-9_-])([A-Za-z0-9_-]{1,60})["']?[ \t]*[:=][ \t]*(?:"([^"\n]{1,300})"|'([^'\n]{1,300})'|([^\s"',;(){}[\]]{1,300}))/g,
    secret: isCredential,
  },
];

/** On a line with one of these words, a long random-looking string is taken for a secret. */
const CONTEXT_WORD = /key|secret|token|passw|credential|auth|signature|bearer|private|session/i;
const CANDIDATE = /[A-Za-z0-9+/_-]{20,200}/g;
// Bits per character: hex (a sha256, a commit id) has at most 4, base64 keys about 5 and more; mixed classes too.
const ENTROPY_THRESHOLD = 4.2;

function entropy(text: string): number {
  const counts = new Map<string, number>();
  for (const c of text) counts.set(c, (counts.get(c) ?? 0) + 1);
  let bits = 0;
  for (const n of counts.values()) bits -= (n / text.length) * Math.log2(n / text.length);
  return bits;
}

const looksRandom = (s: string) => /[a-z]/.test(s) && /[A-Z]/.test(s) && /[0-9]/.test(s) && entropy(s) >= ENTROPY_THRESHOLD;

interface Found {
  start: number;
  end: number;
  rule: string;
}

export interface Redacted {
  text: string;
  /** Secrets replaced, by rule. */
  counts: Record<string, number>;
}

// secretlint reads a field in pieces of this many characters, cut at line ends, and the event loop runs between
// pieces: a megabyte of stdout never holds other requests for more than a few milliseconds at a time.
const SECRETLINT_CHUNK = 32 * 1024;
const SECRETLINT_PREFIX = "@secretlint/secretlint-rule-";
const SECRETLINT_CONFIG = { rules: [{ id: "@secretlint/secretlint-rule-preset-recommend", rule: recommended }] };

async function secretlintFindings(text: string): Promise<Found[]> {
  const found: Found[] = [];
  for (let start = 0; start < text.length;) {
    let end = Math.min(text.length, start + SECRETLINT_CHUNK);
    if (end < text.length) {
      const lineEnd = text.lastIndexOf("\n", end);
      if (lineEnd > start) end = lineEnd + 1;
    }
    const result = await lintSource({
      source: { filePath: "attempt.txt", content: text.slice(start, end), contentType: "text", ext: ".txt" },
      options: { config: SECRETLINT_CONFIG, noPhysicFilePath: true },
    });
    for (const m of result.messages) {
      found.push({
        start: start + m.range[0],
        end: start + m.range[1],
        rule: m.ruleId.startsWith(SECRETLINT_PREFIX) ? m.ruleId.slice(SECRETLINT_PREFIX.length) : m.ruleId,
      });
    }
    start = end;
  }
  return found;
}

/**
 * secretlint's core marks every call on the global performance timeline, and its profiler keeps every mark
 * and searches them all on each new one: in a long-running server each POST got slower, and memory grew, with
 * every attempt ever redacted. The profiler is for its CLI; here its marks go nowhere (clearing them instead
 * races its observer, which measures between marks a moment later).
 */
(secretLintProfiler as unknown as { perf: { mark(): void; measure(): void } }).perf = { mark: () => undefined, measure: () => undefined };

function ruleFindings(text: string, rules: Rule[]): Found[] {
  const found: Found[] = [];
  for (const rule of rules) {
    // Where `until` next occurs, looked up again only once a match lies past it: thousands of openings with
    // no close would otherwise each search the rest of the text.
    let close = -2;
    for (const m of text.matchAll(rule.pattern)) {
      const value = m.findLast((group, i) => i > 0 && group !== undefined) ?? m[0];
      if (rule.secret && !rule.secret(m, value)) continue;
      // A capture group ends the match (bar a closing quote or "@"), so its last occurrence in the match is it.
      const start = m.index + m[0].lastIndexOf(value);
      const matchEnd = start + value.length;
      let end = matchEnd;
      if (rule.until) {
        if (close !== -1 && close < end) close = text.indexOf(rule.until, end);
        const closeLineEnd = close === -1 ? -1 : text.indexOf("\n", close);
        end = close === -1 || closeLineEnd === -1 ? text.length : closeLineEnd;
      }
      found.push({ start, end, rule: rule.name });
    }
  }
  return found;
}

function entropyFindings(text: string): Found[] {
  const found: Found[] = [];
  let lineStart = 0;
  while (lineStart < text.length) {
    const newline = text.indexOf("\n", lineStart);
    const lineEnd = newline === -1 ? text.length : newline;
    const line = text.slice(lineStart, lineEnd);
    if (CONTEXT_WORD.test(line)) {
      for (const m of line.matchAll(CANDIDATE)) {
        if (looksRandom(m[0])) found.push({ start: lineStart + m.index, end: lineStart + m.index + m[0].length, rule: "high-entropy" });
      }
    }
    lineStart = lineEnd + 1;
  }
  return found;
}

function prefixFindings(text: string, prefixes: RedactionSettings["extraPrefixes"]): Found[] {
  const found: Found[] = [];
  for (const { name, prefix } of prefixes) {
    // The next search starts where this token ends: a prefix repeated inside one token is that one secret.
    let at = text.indexOf(prefix);
    while (at !== -1) {
      let end = at + prefix.length;
      while (end < text.length && TOKEN_CHAR.test(text[end])) end++;
      found.push({ start: at, end, rule: name });
      at = text.indexOf(prefix, end);
    }
  }
  return found;
}

const TOKEN_CHAR = /[A-Za-z0-9_\-+/=.]/;

export class Redactor {
  private readonly allow: Set<string>;

  constructor(private readonly settings: RedactionSettings = { extraPrefixes: [], allowlist: [] }) {
    this.allow = new Set(settings.allowlist);
  }

  /** The text with every secret found replaced, and how many each rule found. */
  async redact(text: string): Promise<Redacted> {
    return (await this.redactAll([text]))[0];
  }

  /**
   * Each text redacted. secretlint reads them all in one pass (joined by newlines, each finding clipped to its
   * own text): a call costs a few hundred microseconds whatever its length, so one per field would dominate.
   */
  async redactAll(texts: string[]): Promise<Redacted[]> {
    const starts: number[] = [];
    let offset = 0;
    for (const t of texts) {
      starts.push(offset);
      offset += t.length + 1;
    }
    // In order of where they start, so each text takes its own in one walk (not every finding per text).
    const linted = (await secretlintFindings(texts.join("\n"))).sort((a, b) => a.start - b.start);
    let next = 0;
    return texts.map((text, i) => {
      const own: Found[] = [];
      while (next < linted.length && linted[next].start < starts[i]) next++; // on the newline between texts
      for (; next < linted.length && linted[next].start < starts[i] + text.length; next++) {
        const f = linted[next];
        own.push({ rule: f.rule, start: f.start - starts[i], end: Math.min(f.end - starts[i], text.length) });
      }
      return this.replace(text, [
        ...ruleFindings(text, RULES),
        ...prefixFindings(text, this.settings.extraPrefixes),
        ...own,
        ...entropyFindings(text),
      ]);
    });
  }

  private replace(text: string, findings: Found[]): Redacted {
    const found = findings
      .filter((f) => f.end > f.start && !this.allow.has(text.slice(f.start, f.end)))
      // Earliest first, the longest of those that start together.
      .sort((a, b) => a.start - b.start || b.end - a.end);
    // Overlapping findings are one secret: replaced once, under the rule of the first, to the end of the last.
    const merged: Found[] = [];
    for (const f of found) {
      const last = merged[merged.length - 1];
      if (last && f.start < last.end) last.end = Math.max(last.end, f.end);
      else merged.push({ ...f });
    }
    const counts: Record<string, number> = {};
    let out = "";
    let at = 0;
    for (const f of merged) {
      out += text.slice(at, f.start) + `[REDACTED:${f.rule}]`;
      counts[f.rule] = (counts[f.rule] ?? 0) + 1;
      at = f.end;
    }
    return { text: out + text.slice(at), counts };
  }
}

/** The free-text fields of an attempt: what a script, its output and its exception may carry. */
export interface RedactableAttempt {
  code: string;
  user_prompt?: string | null;
  stdout?: string | null;
  stderr?: string | null;
  error_message?: string | null;
  exception?: ExceptionReport;
}

// Exception fields have a length limit in the event schema; a redacted value is cut to it (a marker may be
// longer than the short secret it replaced).
const MESSAGE_LIMIT = 10000;
const NOTE_LIMIT = 2000;
const LINE_LIMIT = 1000;

/** The attempt with every free-text field redacted, and the count per rule over all of them. */
export async function redactAttempt<T extends RedactableAttempt>(
  redactor: Redactor,
  attempt: T,
): Promise<{ attempt: T; redactions: Record<string, number> }> {
  // Every text field with where its redacted text goes: gathered first, so secretlint reads them in one pass.
  const out: T = { ...attempt };
  const texts: string[] = [];
  const assign: Array<(text: string) => void> = [];
  const field = (text: string, limit: number, set: (text: string) => void) => {
    texts.push(text);
    assign.push((redacted) => set(redacted.length > limit ? redacted.slice(0, limit) : redacted));
  };
  field(attempt.code, Infinity, (t) => (out.code = t));
  for (const key of ["user_prompt", "stdout", "stderr", "error_message"] as const) {
    const value = attempt[key];
    if (typeof value === "string") field(value, Infinity, (t) => (out[key] = t));
  }
  if (attempt.exception) {
    const exceptions = attempt.exception.exceptions.map((e) => ({
      ...e,
      frames: e.frames.map((f) => ({ ...f })),
      notes: e.notes ? [...e.notes] : undefined,
      syntax: e.syntax ? { ...e.syntax } : undefined,
    }));
    for (const e of exceptions) {
      field(e.message, MESSAGE_LIMIT, (t) => (e.message = t));
      e.notes?.forEach((note, i) => field(note, NOTE_LIMIT, (t) => (e.notes![i] = t)));
      for (const f of e.frames) if (typeof f.source === "string") field(f.source, LINE_LIMIT, (t) => (f.source = t));
      if (typeof e.syntax?.text === "string") field(e.syntax.text, LINE_LIMIT, (t) => (e.syntax!.text = t));
      if (e.notes === undefined) delete e.notes;
      if (e.syntax === undefined) delete e.syntax;
    }
    out.exception = { ...attempt.exception, exceptions };
  }
  const redactions: Record<string, number> = {};
  (await redactor.redactAll(texts)).forEach(({ text, counts }, i) => {
    assign[i](text);
    for (const [rule, n] of Object.entries(counts)) redactions[rule] = (redactions[rule] ?? 0) + n;
  });
  return { attempt: out, redactions };
}
