/**
 * The SDK (`client/`) as the scripts use it in Node (`npm run demo:room`, `npm run bench:room`):
 * Node 20 has no global WebSocket, so rooms get `ws`'s, and players are registered fresh.
 */
import WebSocket from 'ws'
import { NexusClient } from '../../client'

/**
 * `ws`'s WebSocket with the constructor the SDK calls (`new WebSocket(url, protocols)`);
 * `perMessageDeflate` says whether to offer compression (browsers always offer it).
 */
export function nodeWebSocket(options: { perMessageDeflate?: boolean } = {}) {
  const perMessageDeflate = options.perMessageDeflate ?? true
  return class NodeWebSocket extends WebSocket {
    constructor(url: string, protocols?: string | string[]) {
      super(url, protocols, { perMessageDeflate })
    }
  }
}

/** Registers a fresh player; returns its signed-in client, id and username. */
export async function registerPlayer(baseUrl: string, prefix: string) {
  const username = `${prefix}_${Date.now().toString(36)}${Math.floor(Math.random() * 1e6)}`.slice(
    0,
    32,
  )
  const client = new NexusClient({ baseUrl, WebSocket: nodeWebSocket() })
  const tokens = await client.register(username, 'demo password 1234')
  return { client, id: tokens.user.id, username }
}
