// Tables every page uses: a data table with caption and column headings, and a table of named fields.
import { html, type Html, type Interpolation } from "./html.js";

/** A column of a data table: its heading, and a class for its cells' alignment ("num": right-aligned numbers). */
export type Column = string | { label: Interpolation; className?: string };

/** A column of numbers. */
export const numeric = (label: string): Column => ({ label, className: "num" });

/** A table with its caption and column headings, in a container that scrolls sideways on narrow screens. */
export function dataTable(caption: Interpolation, columns: readonly Column[], rows: Interpolation, className?: string): Html {
  return html`<div class="scroll">
    <table${className ? html` class="${className}"` : ""}>
      <caption>
        ${caption}
      </caption>
      <thead>
        <tr>
          ${columns.map((c) =>
            typeof c === "string"
              ? html`<th scope="col">${c}</th>`
              : html`<th scope="col" ${c.className ? html` class="${c.className}"` : ""}>${c.label}</th>`,
          )}
        </tr>
      </thead>
      <tbody>
        ${rows}
      </tbody>
    </table>
  </div>`;
}

/** A two-column table of named fields; rows whose value is null, undefined or blank are left out. */
export function fieldsTable(caption: Interpolation, fields: ReadonlyArray<readonly [string, Interpolation]>): Html {
  return html`<div class="scroll">
    <table class="fields">
      <caption>
        ${caption}
      </caption>
      <tbody>
        ${fields
          .filter(([, value]) => value !== null && value !== undefined && value !== "")
          .map(
            ([label, value]) =>
              html`<tr>
                <th scope="row">${label}</th>
                <td>${value}</td>
              </tr>`,
          )}
      </tbody>
    </table>
  </div>`;
}
