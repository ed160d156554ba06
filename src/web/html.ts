// HTML built by a tagged template that escapes every interpolation. The only way to put markup in unescaped
// is `trustedHtml(...)`, named so that every such place can be found with grep.

/** Markup that is already safe: made by `html` from escaped parts, or declared so by `trustedHtml`. */
export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

/** What may be interpolated: text (escaped), numbers, markup, lists of them; null, undefined and false render nothing. */
export type Interpolation = Html | string | number | boolean | null | undefined | readonly Interpolation[];

const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/** Text made safe for element content and quoted attribute values alike. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

function render(value: Interpolation): string {
  if (value === null || value === undefined || value === false || value === true) return "";
  if (value instanceof Html) return value.text;
  if (Array.isArray(value)) {
    let out = "";
    for (const v of value as readonly Interpolation[]) out += render(v);
    return out;
  }
  return escapeHtml(String(value));
}

export function html(strings: TemplateStringsArray, ...values: Interpolation[]): Html {
  let out = strings[0];
  for (let i = 0; i < values.length; i++) out += render(values[i]) + strings[i + 1];
  return new Html(out);
}

/** Markup taken as it is. Only for text this module's callers made themselves (SVG paths, the JSON of a config). */
export function trustedHtml(markup: string): Html {
  return new Html(markup);
}

/** Items joined by a separator, each escaped unless it is markup. */
export function join(items: readonly Interpolation[], separator: Interpolation = ", "): Html {
  const parts: Interpolation[] = [];
  items.forEach((item, i) => {
    if (i > 0) parts.push(separator);
    parts.push(item);
  });
  return html`${parts}`;
}
