// Experiments `/experiments/:id`: per-variant rates of a context experiment. This version of scriptlog runs no
// experiments, so the page says so instead of pretending.
import { html, type Html } from "../html.js";
import { emptyState, page } from "../layout.js";

export function experimentPage(id: string): Html {
  return page({
    title: `Experiment ${id}`,
    section: "none",
    body: html`<h1>Experiment <code>${id}</code></h1>
      ${emptyState(
        "No such experiment",
        html`<p>
          This version of scriptlog does not run experiments between context versions, so there is nothing to show here yet. The context the
          model receives now is on the <a href="/context">Context</a> page.
        </p>`,
      )}`,
  });
}
