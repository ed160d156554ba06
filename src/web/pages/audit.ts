// Audit `/audit`: the state of the log as an auditor checks it: chain head, verification, the latest signed
// checkpoint, the archive boundary.
import { ScriptlogError } from "../../errors.js";
import { readBoundary } from "../../store/archiveBoundary.js";
import type { ScriptlogService } from "../../service/scriptlogService.js";
import { number, when } from "../format.js";
import { html, type Html } from "../html.js";
import { page } from "../layout.js";
import { fieldsTable } from "../table.js";

export async function auditPage(service: ScriptlogService): Promise<Html> {
  const head = service.log.chainHead;
  const checkpoint = await service.latestCheckpoint().catch((err) => {
    if (err instanceof ScriptlogError && err.code === "not_found") return null;
    throw err;
  });
  const boundary = readBoundary(service.log.dir);
  const verified = service.failure === null && service.ready;
  const body = html`<h1>Audit</h1>
    <section aria-labelledby="verification">
      <h2 id="verification">Verification</h2>
      <p>
        ${
          verified
            ? html`<span class="badge ok">verified</span> Every line of the log was checked when this server started — JSON, the schema of
                its type and version, seq continuity and the hash chain — and every event since was appended by this server.`
            : html`<span class="badge bad">not verified</span>
                ${service.failure ? `The read models stopped following the log: ${service.failure.message}` : "The log is still being replayed."}`
        }
      </p>
      <p>
        For an independent re-check of every line and checkpoint, run <code>scriptlog verify --pubkey KEY.pub</code> (it only reads, so it
        runs beside the server).
      </p>
      ${fieldsTable("Chain head", [
        ["Events", number(head.seq)],
        ["Head hash", html`<code class="hash">${head.hash}</code>`],
        ["Read models at seq", number(service.queries.seq)],
      ])}
    </section>
    <section aria-labelledby="checkpoint">
      <h2 id="checkpoint">Latest signed checkpoint</h2>
      ${
        checkpoint
          ? html`${fieldsTable("Checkpoint", [
                ["Origin", checkpoint.checkpoint.origin],
                [
                  "Seq",
                  html`${number(checkpoint.checkpoint.seq)}
                    <span class="muted">(${number(head.seq - checkpoint.checkpoint.seq)} events since)</span>`,
                ],
                ["Hash", html`<code class="hash">${checkpoint.checkpoint.hash}</code>`],
                ["Time", when(checkpoint.checkpoint.time)],
              ])}
              <details>
                <summary>The signed note</summary>
                <pre class="output"><code>${checkpoint.note}</code></pre>
              </details>`
          : html`<p class="empty">
              No checkpoint yet. Start the server with <code>SIGNING_KEY=PREFIX.key</code> (make one with <code>scriptlog keygen</code>) and
              it signs the chain head regularly; give auditors <code>PREFIX.pub</code>.
            </p>`
      }
    </section>
    <section aria-labelledby="archive">
      <h2 id="archive">Archive boundary</h2>
      ${
        boundary
          ? html`<p>
                Events up to seq ${number(boundary.seq)} (days before ${boundary.before}) were moved to <code>${boundary.to}</code>; the
                live chain continues from hash <code class="hash">${boundary.hash}</code>. Read models cover the retained days only.
              </p>
              <p>${boundary.files.length} archived daily files: ${boundary.files.join(", ")}</p>`
          : html`<p class="muted">
              Nothing archived: the live log holds the whole history. <code>scriptlog archive --before DATE --to DIR</code> moves old days
              out.
            </p>`
      }
    </section>`;
  return page({ title: "Audit", section: "audit", body });
}
