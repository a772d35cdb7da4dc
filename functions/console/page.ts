/** The console's HTML shell and stylesheet; the script is `bundle.generated.ts`. */

/** The page: a root element the script fills, the stylesheet and the script. */
export const CONSOLE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>NEXUS console</title>
<link rel="stylesheet" href="/console/console.css">
<script type="module" src="/console/console.js"></script>
</head>
<body>
<div id="app"><p class="hint">Loading the console…</p></div>
<noscript>The console needs JavaScript.</noscript>
</body>
</html>
`

/** The stylesheet. */
export const CONSOLE_CSS = `
:root { color-scheme: dark; --bg: #0b0f14; --panel: #121922; --line: #263140; --text: #dbe3ec;
  --muted: #7f8ea1; --accent: #5fb3ff; --bad: #ff7a7a; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--text); font: 14px/1.4 system-ui, sans-serif; }
h1 { font-size: 18px; margin: 0; }
h2 { font-size: 13px; text-transform: uppercase; letter-spacing: .06em; color: var(--muted); margin: 16px 0 6px; }
h3 { margin: 4px 0; }
code { background: #1b2430; padding: 1px 4px; border-radius: 3px; }
button { background: var(--accent); color: #06121f; border: 0; border-radius: 4px; padding: 6px 12px; cursor: pointer; font-weight: 600; }
input, textarea { width: 100%; background: #0f151d; color: var(--text); border: 1px solid var(--line); border-radius: 4px; padding: 6px 8px; margin: 4px 0 8px; font: inherit; }
.hint { color: var(--muted); font-size: 12px; margin: 2px 0; }
.error { color: var(--bad); }
.sign-in { max-width: 420px; margin: 60px auto; display: grid; gap: 12px; }
.sign-in form { background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: 14px; }
.sign-in h2 { margin-top: 0; }
header { display: flex; align-items: center; gap: 16px; padding: 10px 16px; border-bottom: 1px solid var(--line); background: var(--panel); }
header .who { color: var(--muted); margin-left: auto; }
main { display: grid; grid-template-columns: 300px 620px minmax(280px, 1fr); gap: 16px; padding: 0 16px 16px; }
table { width: 100%; border-collapse: collapse; font-size: 13px; }
th, td { text-align: left; padding: 4px 6px; border-bottom: 1px solid var(--line); white-space: nowrap; overflow: hidden; text-overflow: ellipsis; max-width: 140px; }
th { color: var(--muted); font-weight: 500; }
.num { text-align: right; font-variant-numeric: tabular-nums; }
.instances tbody tr { cursor: pointer; }
.instances tbody tr:hover { background: #17202b; }
tr.selected { background: #1a2a3c; }
canvas { display: block; border: 1px solid var(--line); border-radius: 6px; }
.room h2 small { text-transform: none; letter-spacing: 0; color: var(--accent); margin-left: 8px; font-size: 13px; }
.players { list-style: none; padding: 0; margin: 8px 0; display: grid; gap: 2px; }
.players li { display: flex; gap: 10px; align-items: center; cursor: pointer; padding: 2px 4px; border-radius: 4px; }
.players li:hover { background: #17202b; }
.dot { width: 10px; height: 10px; border-radius: 50%; display: inline-block; }
.where, .pos { color: var(--muted); font-size: 12px; font-variant-numeric: tabular-nums; }
.chat { list-style: none; padding: 8px; margin: 0; height: 260px; overflow-y: auto; background: var(--panel); border: 1px solid var(--line); border-radius: 6px; }
.chat li { display: flex; gap: 8px; align-items: baseline; }
.chat time { color: var(--muted); font-size: 12px; font-variant-numeric: tabular-nums; }
.environment { display: grid; grid-template-columns: auto 1fr; gap: 2px 12px; margin: 0; }
.environment div { display: contents; }
.environment dt { color: var(--muted); }
.environment dd { margin: 0; }
`
