// The few HTML pages Kassa serves itself, for the links it mails, until the dashboard exists:
// one layout, forms that POST back to the same page, every value escaped. No script at all (the
// CSP allows none from elsewhere, and the pages need none).

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

const STYLE = `body{font:16px/1.5 system-ui,sans-serif;max-width:28rem;margin:4rem auto;padding:0 1rem;color:#1a1a1a}
h1{font-size:1.5rem}label{display:block;margin:1rem 0 .25rem}input{width:100%;box-sizing:border-box;padding:.5rem;font:inherit}
button{margin-top:1.5rem;padding:.6rem 1.2rem;font:inherit;cursor:pointer}.problem{color:#a40000}.done{color:#0a6a0a}`;

export function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><meta name="referrer" content="no-referrer">
<title>${escapeHtml(title)} · Kassa</title><style>${STYLE}</style></head>
<body><main><h1>${escapeHtml(title)}</h1>
${body}
</main></body>
</html>
`;
}

export interface Field {
  name: string;
  label: string;
  type: 'email' | 'password' | 'text';
  autocomplete: string;
  required?: boolean;
  value?: string;
}

/** A form that POSTs to `action` with its hidden values (the CSRF token among them). */
export function form(action: string, hidden: Record<string, string>, fields: Field[], button: string): string {
  const hiddenInputs = Object.entries(hidden).map(([name, value]) => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`);
  const inputs = fields.map(
    (f) =>
      `<label for="${f.name}">${escapeHtml(f.label)}</label><input id="${f.name}" name="${f.name}" type="${f.type}" autocomplete="${f.autocomplete}"` +
      `${f.value === undefined ? '' : ` value="${escapeHtml(f.value)}"`}${f.required === false ? '' : ' required'}>`,
  );
  return `<form method="post" action="${escapeHtml(action)}">${[...hiddenInputs, ...inputs].join('\n')}\n<button type="submit">${escapeHtml(button)}</button></form>`;
}

export const paragraph = (text: string, kind?: 'problem' | 'done') => `<p${kind ? ` class="${kind}"` : ''}>${escapeHtml(text)}</p>`;
