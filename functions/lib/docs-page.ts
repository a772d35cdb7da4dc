/**
 * A self-contained API reference page rendered from the OpenAPI document. Hosted viewers (Swagger
 * UI, Scalar) load their code from a CDN, which a local, offline `npm start` cannot reach, so the
 * page is plain server-rendered HTML with no scripts.
 */

interface OpenApiOperation {
  summary?: string
  description?: string
  tags?: string[]
  responses?: Record<string, { description?: string }>
}

/** The parts of an OpenAPI document the page reads. */
interface OpenApiDocument {
  info: { title: string; version: string; description?: string }
  paths?: object
}

const escapeHtml = (text: string): string =>
  text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`)

/** Renders the reference page for `doc`. */
export function renderDocsPage(doc: OpenApiDocument): string {
  const paths = (doc.paths ?? {}) as Record<string, Record<string, OpenApiOperation>>
  const rows = Object.entries(paths).flatMap(([path, operations]) =>
    Object.entries(operations).map(([method, op]) => {
      const responses = Object.entries(op.responses ?? {})
        .map(([status, r]) => `<li><code>${status}</code> ${escapeHtml(r.description ?? '')}</li>`)
        .join('')
      return `<section><h3><span class="m ${method}">${method.toUpperCase()}</span> <code>${escapeHtml(path)}</code></h3>
<p>${escapeHtml(op.summary ?? '')}</p>${op.description ? `<p>${escapeHtml(op.description)}</p>` : ''}
<ul>${responses}</ul></section>`
    }),
  )
  return `<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>${escapeHtml(doc.info.title)} — API reference</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}
section{border-top:1px solid #ddd;padding:.5rem 0}h3{margin:.3rem 0}.m{font-size:.8em;padding:.1em .4em;border-radius:4px;background:#eee}
.get{background:#e3f2fd}.post{background:#e8f5e9}.patch,.put{background:#fff8e1}.delete{background:#ffebee}</style></head>
<body><h1>${escapeHtml(doc.info.title)} <small>${escapeHtml(doc.info.version)}</small></h1>
<p>${escapeHtml(doc.info.description ?? '')}</p>
<p>Machine-readable document: <a href="/openapi.json">/openapi.json</a> (OpenAPI 3.1).</p>
${rows.join('\n')}</body></html>`
}
