// Code as the console shows it: listings with the failing line marked, tracebacks with the script's own
// frames open and library frames folded, and the diff between two attempts (jsdiff) as a table.
import { structuredPatch } from "diff";
import { normaliseNewlines } from "../analysis/codeSummary.js";
import { innermostScriptFrame, isScriptFrame } from "../analysis/patterns.js";
import type { TracebackFrame } from "../analysis/traceback.js";
import { html, join, type Html, type Interpolation } from "./html.js";

/** Text with `backtick` spans as <code>, the way rules and fix descriptions are written. */
export function inlineCode(text: string): Html {
  return html`${text.split("`").map((part, i) => (i % 2 === 1 ? html`<code>${part}</code>` : part))}`;
}

/** A few lines of code, each marked as removed or added (the wrong → right example of a fix). */
export function codeLines(lines: string[], kind: "del" | "ins"): Html {
  const sign = kind === "del" ? "-" : "+";
  const rows = lines.map((l) => html`<span class="line"><span class="sign" aria-hidden="true">${sign}</span>${l}</span>`);
  return html`<pre class="code ${kind}"><code>${join(rows, "\n")}</code></pre>`;
}

// Above this many lines a listing shows the lines around the failing one and folds the rest.
const FULL_LISTING = 400;
const AROUND = 8;

/** A numbered listing; `failingLine` (1-based) is marked and announced. */
export function codeListing(code: string, failingLine: number | null, id: string): Html {
  const lines = normaliseNewlines(code).replace(/\n$/, "").split("\n");
  let from = 1;
  let to = lines.length;
  if (lines.length > FULL_LISTING) {
    const centre = failingLine ?? 1;
    from = Math.max(1, centre - AROUND);
    to = Math.min(lines.length, centre + AROUND);
  }
  const rows: Interpolation[] = [];
  for (let n = from; n <= to; n++) {
    const failing = n === failingLine;
    const marker = failing ? html`<span class="visually-hidden">failing line ${n}: </span>` : "";
    rows.push(
      html`<span class="line${failing ? " failing" : ""}" ${failing ? html`id="${id}-failing"` : ""}
        ><span class="ln" aria-hidden="true">${n}</span>${marker}${lines[n - 1]}</span
      >`,
    );
  }
  const cut = from > 1 || to < lines.length ? html`<p class="muted">Lines ${from}–${to} of ${lines.length}.</p>` : "";
  return html`${cut}
    <pre class="code listing"><code>${join(rows, "\n")}</code></pre>`;
}

/** The line of the script where the exception was raised: its innermost own frame. */
export function failingLineOf(frames: TracebackFrame[], code: string): number | null {
  return innermostScriptFrame(frames, code)?.line ?? null;
}

const frameTitle = (f: TracebackFrame) =>
  html`<code>${f.file}</code>, line ${f.line ?? "?"}${f.function ? html`, in <code>${f.function}</code>` : ""}`;

/** Frames outermost first: the script's own open, each run of library frames folded into one. */
export function tracebackView(frames: TracebackFrame[], code: string, exception: { type: string | null; message: string | null }): Html {
  const parts: Interpolation[] = [];
  for (let i = 0; i < frames.length;) {
    if (isScriptFrame(frames[i], code)) {
      const f = frames[i++];
      parts.push(
        html`<li class="frame own">
          <details open>
            <summary>${frameTitle(f)}</summary>
            ${f.source ? html`<pre class="code"><code>${f.source}</code></pre>` : ""}
          </details>
        </li>`,
      );
      continue;
    }
    const run: TracebackFrame[] = [];
    while (i < frames.length && !isScriptFrame(frames[i], code)) run.push(frames[i++]);
    parts.push(
      html`<li class="frame library">
        <details>
          <summary>${run.length === 1 ? "1 library frame" : `${run.length} library frames`}</summary>
          <ol>
            ${run.map(
              (f) =>
                html`<li>
                  ${frameTitle(f)}${f.source ? html`<pre class="code"><code>${f.source}</code></pre>` : ""}${f.repeated ? html`<p class="muted">repeated ${f.repeated} more times</p>` : ""}
                </li>`,
            )}
          </ol>
        </details>
      </li>`,
    );
  }
  return html`<div class="traceback">
    ${
      parts.length
        ? html`<ol class="frames">
            ${parts}
          </ol>`
        : html`<p class="muted">No traceback frames.</p>`
    }
    <p class="exception"><strong>${exception.type ?? "(no exception)"}</strong>${exception.message ? html`: ${exception.message}` : ""}</p>
  </div>`;
}

// Beyond this many edited lines two attempts are rewrites of each other, not a diff worth reading.
const MAX_EDIT_LENGTH = 2000;

/** The unified diff from one attempt's code to the next, with both line numbers; null when they are equal. */
export function codeDiff(before: string, after: string, labels: [string, string]): Html | null {
  const patch = structuredPatch(labels[0], labels[1], normaliseNewlines(before), normaliseNewlines(after), undefined, undefined, {
    context: 3,
    maxEditLength: MAX_EDIT_LENGTH,
  });
  if (!patch) return html`<p class="muted">The code changed too much to diff (more than ${MAX_EDIT_LENGTH} edited lines).</p>`;
  if (patch.hunks.length === 0) return null;
  let added = 0;
  let removed = 0;
  const rows: Interpolation[] = [];
  for (const hunk of patch.hunks) {
    rows.push(
      html`<tr class="hunk">
        <td colspan="4">@@ -${hunk.oldStart},${hunk.oldLines} +${hunk.newStart},${hunk.newLines} @@</td>
      </tr>`,
    );
    let oldLine = hunk.oldStart;
    let newLine = hunk.newStart;
    for (const line of hunk.lines) {
      const sign = line[0];
      const text = line.slice(1);
      if (sign === "\\") continue; // "\ No newline at end of file"
      if (sign === "-") {
        removed++;
        rows.push(
          html`<tr class="del">
            <td class="ln">${oldLine++}</td>
            <td class="ln"></td>
            <td class="sign">-</td>
            <td><code>${text}</code></td>
          </tr>`,
        );
      } else if (sign === "+") {
        added++;
        rows.push(
          html`<tr class="ins">
            <td class="ln"></td>
            <td class="ln">${newLine++}</td>
            <td class="sign">+</td>
            <td><code>${text}</code></td>
          </tr>`,
        );
      } else {
        rows.push(
          html`<tr class="ctx">
            <td class="ln">${oldLine++}</td>
            <td class="ln">${newLine++}</td>
            <td class="sign"></td>
            <td><code>${text}</code></td>
          </tr>`,
        );
      }
    }
  }
  return html`<div class="scroll">
    <table class="diff">
      <caption>
        ${labels[0]} → ${labels[1]}: ${added} added, ${removed} removed
      </caption>
      <thead>
        <tr>
          <th scope="col" class="ln">old</th>
          <th scope="col" class="ln">new</th>
          <th scope="col" class="sign"><span class="visually-hidden">change</span></th>
          <th scope="col">line</th>
        </tr>
      </thead>
      <tbody>
        ${rows}
      </tbody>
    </table>
  </div>`;
}
