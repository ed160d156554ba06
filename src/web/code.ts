// Code as the console shows it: listings with the failing line marked, tracebacks with the script's own
// frames open and library frames folded, and the diff between two attempts (jsdiff) as a table.
import { structuredPatch } from "diff";
import { normaliseNewlines } from "../analysis/codeSummary.js";
import { innermostScriptFrame, isScriptFrame } from "../analysis/patterns.js";
import type { TracebackFrame } from "../analysis/traceback.js";
import { html, join, type Html, type Interpolation } from "./html.js";
import { dataTable } from "./table.js";

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

// Beyond this many edited lines two texts are rewrites of each other, not a diff worth reading.
const MAX_EDIT_LENGTH = 2000;

/** Unified: one column of lines, removed above added. Split: the old text on the left, the new on the right. */
export type DiffLayout = "unified" | "split";

type Hunk = { oldStart: number; oldLines: number; newStart: number; newLines: number; lines: string[] };

/**
 * The diff from one text to another (jsdiff), with both line numbers; null when they are equal. The split
 * layout also carries the unified one, which the stylesheet shows instead on narrow screens.
 */
export function codeDiff(before: string, after: string, labels: [string, string], layout: DiffLayout = "unified"): Html | null {
  const patch = structuredPatch(labels[0], labels[1], normaliseNewlines(before), normaliseNewlines(after), undefined, undefined, {
    context: 3,
    maxEditLength: MAX_EDIT_LENGTH,
  });
  if (!patch) return html`<p class="muted">The text changed too much to diff (more than ${MAX_EDIT_LENGTH} edited lines).</p>`;
  if (patch.hunks.length === 0) return null;
  let added = 0;
  let removed = 0;
  for (const hunk of patch.hunks)
    for (const line of hunk.lines) {
      if (line[0] === "+") added++;
      else if (line[0] === "-") removed++;
    }
  const caption = `${labels[0]} → ${labels[1]}: ${added} added, ${removed} removed`;
  const unified = unifiedTable(patch.hunks, caption);
  if (layout === "unified") return unified;
  return html`<div class="diff-split">${splitTable(patch.hunks, caption, labels)}</div>
    <div class="diff-narrow">${unified}</div>`;
}

/** The row that starts a hunk: where it is in both texts. */
const hunkRow = (hunk: Hunk) =>
  html`<tr class="hunk">
    <td colspan="4">@@ -${hunk.oldStart},${hunk.oldLines} +${hunk.newStart},${hunk.newLines} @@</td>
  </tr>`;

function unifiedTable(hunks: Hunk[], caption: string): Html {
  const rows: Interpolation[] = [];
  for (const hunk of hunks) {
    rows.push(hunkRow(hunk));
    let oldLine = hunk.oldStart;
    let newLine = hunk.newStart;
    for (const line of hunk.lines) {
      const sign = line[0];
      if (sign === "\\") continue; // "\ No newline at end of file"
      const [kind, oldN, newN] =
        sign === "-" ? ["del", oldLine++, ""] : sign === "+" ? ["ins", "", newLine++] : ["ctx", oldLine++, newLine++];
      rows.push(
        html`<tr class="${kind}">
          <td class="ln">${oldN}</td>
          <td class="ln">${newN}</td>
          <td class="sign">${sign === " " ? "" : sign}</td>
          <td><code>${line.slice(1)}</code></td>
        </tr>`,
      );
    }
  }
  const columns = [
    { label: "old", className: "ln" },
    { label: "new", className: "ln" },
    { label: html`<span class="visually-hidden">change</span>`, className: "sign" },
    "line",
  ];
  return dataTable(caption, columns, rows, "diff");
}

type Side = { n: number; text: string } | null;

/** One side of a split row: its line number and text, or two empty cells; changed lines say so to screen readers. */
function sideCells(side: Side, kind: "del" | "ins" | "ctx"): Html {
  if (!side)
    return html`<td class="ln empty"></td>
      <td class="empty"></td>`;
  const said = kind === "del" ? "removed: " : kind === "ins" ? "added: " : "";
  return html`<td class="ln ${kind}">${side.n}</td>
    <td class="${kind}">${said ? html`<span class="visually-hidden">${said}</span>` : ""}<code>${side.text}</code></td>`;
}

function splitTable(hunks: Hunk[], caption: string, labels: [string, string]): Html {
  const rows: Interpolation[] = [];
  for (const hunk of hunks) {
    rows.push(hunkRow(hunk));
    let oldLine = hunk.oldStart;
    let newLine = hunk.newStart;
    const lines = hunk.lines.filter((l) => l[0] !== "\\");
    for (let i = 0; i < lines.length;) {
      if (lines[i][0] === " ") {
        const text = lines[i++].slice(1);
        rows.push(
          html`<tr class="ctx">
            ${sideCells({ n: oldLine++, text }, "ctx")}${sideCells({ n: newLine++, text }, "ctx")}
          </tr>`,
        );
        continue;
      }
      // A run of removed lines and the added lines after it, side by side: the i-th removed beside the i-th added.
      const gone: Side[] = [];
      const come: Side[] = [];
      while (i < lines.length && lines[i][0] === "-") gone.push({ n: oldLine++, text: lines[i++].slice(1) });
      while (i < lines.length && lines[i][0] === "+") come.push({ n: newLine++, text: lines[i++].slice(1) });
      for (let k = 0; k < Math.max(gone.length, come.length); k++)
        rows.push(
          html`<tr class="change">
            ${sideCells(gone[k] ?? null, "del")}${sideCells(come[k] ?? null, "ins")}
          </tr>`,
        );
    }
  }
  const columns = labels.flatMap((label) => [{ label: html`<span class="visually-hidden">${label},</span> line`, className: "ln" }, label]);
  return dataTable(caption, columns, rows, "diff split");
}
