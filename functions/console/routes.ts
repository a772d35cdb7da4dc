/**
 * `/console`: the operator console, a page for operators and game masters (sign in, instances
 * with live player counts, one instance's live map, chat and environment, a player's balance,
 * the economy's latest transactions). It is static: the page, its stylesheet and its script;
 * everything it shows comes from the public API and the room's observer stream, with the
 * signed-in user's own token, so it grants nothing the API does not.
 */
import { Hono, type Context } from 'hono'
import type { AppEnv } from '../lib/context'
import { CONSOLE_SCRIPT } from './bundle.generated'
import { CONSOLE_CSS, CONSOLE_HTML } from './page'

/**
 * Only this origin's script, style, API and sockets; no framing (the console holds staff tokens,
 * so it must not be embedded by another page).
 */
const SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  // The script changes with every release; revalidate rather than run a stale one.
  'Cache-Control': 'no-cache',
}

function serve(c: Context<AppEnv>, body: string, contentType: string): Response {
  return c.body(body, 200, { 'Content-Type': contentType, ...SECURITY_HEADERS })
}

/** The console's three files. */
export const consoleRouter = new Hono<AppEnv>()
  .get('/', (c) => serve(c, CONSOLE_HTML, 'text/html; charset=utf-8'))
  .get('/console.js', (c) => serve(c, CONSOLE_SCRIPT, 'text/javascript; charset=utf-8'))
  .get('/console.css', (c) => serve(c, CONSOLE_CSS, 'text/css; charset=utf-8'))
