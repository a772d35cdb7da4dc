import { createServer, type Server } from 'node:net'
import { Pool, neonConfig } from '@neondatabase/serverless'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { configureNeonProxy } from '../../db/client'
import { startLocalStack, type LocalStack } from '../../scripts/lib/local-stack'
import { parseProxyTarget, TerminateDetector } from '../../scripts/lib/neon-ws-proxy'

let stack: LocalStack

beforeAll(async () => {
  neonConfig.webSocketConstructor = WebSocket as unknown as typeof neonConfig.webSocketConstructor
  stack = await startLocalStack({
    host: '127.0.0.1',
    nexusPort: 0,
    memoryPort: 0,
    proxyPort: 0,
    apiPort: 0,
  })
  configureNeonProxy(stack.proxyAddress)
})

afterAll(() => stack?.close())

const openConnections = () => stack.embedded[0].server.getStats().activeConnections

/**
 * Asks the proxy to open `address` as a raw WebSocket client would, and returns the HTTP status
 * of its answer (101 when the WebSocket opened) and the body of a refusal.
 */
function upgrade(address: string, headers: { origin?: string } = {}) {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const ws = new WebSocket(`ws://${stack.proxyAddress}/v2?address=${address}`, headers)
    ws.once('open', () => {
      ws.terminate()
      resolve({ status: 101, body: '' })
    })
    ws.once('unexpected-response', (_request, response) => {
      let body = ''
      response.on('data', (chunk: Buffer) => (body += chunk.toString()))
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }))
    })
    ws.once('error', reject)
  })
}

/** A loopback TCP server that is not one of the stack's databases; counts connections. */
async function startBystander(): Promise<{
  server: Server
  port: number
  connections: () => number
}> {
  let connections = 0
  const server = createServer((socket) => {
    connections += 1
    socket.destroy()
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as { port: number }).port
  return { server, port, connections: () => connections }
}

describe('Neon-compatible WebSocket proxy', () => {
  it('carries the Neon driver to the embedded database', async () => {
    const pool = new Pool({ connectionString: stack.nexusUrl })
    const { rows } = await pool.query('SELECT 1 + 1 AS two')
    expect(rows).toEqual([{ two: 2 }])
    await pool.end()
  })

  it('closes the database connection when the client ends (Terminate)', async () => {
    for (let i = 0; i < 5; i++) {
      const pool = new Pool({ connectionString: stack.nexusUrl })
      await pool.query('SELECT 1')
      await pool.end()
    }
    await expect.poll(openConnections, { timeout: 5_000 }).toBe(0)
  })

  it('counts the statements clients send', async () => {
    const before = stack.proxy.statementCount()
    const pool = new Pool({ connectionString: stack.nexusUrl })
    await pool.query('SELECT 1')
    await pool.query('SELECT $1::int', [2])
    await pool.end()
    expect(stack.proxy.statementCount() - before).toBeGreaterThanOrEqual(2)
  })

  it('opens a raw WebSocket to each of the stack databases', async () => {
    for (const url of [stack.nexusUrl, stack.memoryUrl]) {
      const answer = await upgrade(`127.0.0.1:${new URL(url).port}`)
      expect(answer.status, answer.body).toBe(101)
    }
  })

  it('refuses a loopback port that is not one of the stack databases', async () => {
    const bystander = await startBystander()
    try {
      const answer = await upgrade(`127.0.0.1:${bystander.port}`)
      expect(answer.status, answer.body).toBe(403)
      expect(answer.body).toContain(`port ${bystander.port} is not one of the stack's databases`)
      // The refusal is the answer to the upgrade, so no connection was attempted before it.
      expect(bystander.connections()).toBe(0)
    } finally {
      bystander.server.close()
    }
  })

  it('refuses an upgrade that carries an Origin header (a web page), even to a stack database', async () => {
    const answer = await upgrade(`127.0.0.1:${new URL(stack.nexusUrl).port}`, {
      origin: 'http://localhost:3000',
    })
    expect(answer.status, answer.body).toBe(403)
    expect(answer.body).toContain('Origin')
  })

  it('refuses non-loopback targets', () => {
    expect(parseProxyTarget('/v2?address=127.0.0.1:5432')).toEqual({
      host: '127.0.0.1',
      port: 5432,
    })
    expect(parseProxyTarget('/v2?address=10.0.0.1:5432')).toBeNull()
    expect(parseProxyTarget('/v2?address=example.com:5432')).toBeNull()
    expect(parseProxyTarget('/v2')).toBeNull()
  })
})

describe('TerminateDetector', () => {
  const startup = () => {
    const body = Buffer.from('user\0postgres\0\0')
    const header = Buffer.alloc(8)
    header.writeInt32BE(8 + body.length, 0)
    header.writeInt32BE(196_608, 4)
    return Buffer.concat([header, body])
  }
  const message = (type: string, body: Buffer) => {
    const header = Buffer.alloc(5)
    header.write(type, 0)
    header.writeInt32BE(4 + body.length, 1)
    return Buffer.concat([header, body])
  }

  it('spots Terminate after startup and queries, even split across chunks', () => {
    const detector = new TerminateDetector()
    const stream = Buffer.concat([
      startup(),
      message('Q', Buffer.from('SELECT 1\0')),
      message('X', Buffer.alloc(0)),
    ])
    const cut = stream.length - 3
    expect(detector.push(stream.subarray(0, cut))).toBe(false)
    expect(detector.push(stream.subarray(cut))).toBe(true)
  })

  it('ignores X bytes inside a message body', () => {
    const detector = new TerminateDetector()
    const tricky = Buffer.from([0x58, 0, 0, 0, 4])
    expect(detector.push(Buffer.concat([startup(), message('Q', tricky)]))).toBe(false)
  })
})
