/**
 * Global setup of the workers project: starts an in-memory embedded database per service on free
 * ports, plus the Neon-compatible proxy, migrates both (and seeds nexus's reference data), and
 * provides their addresses to the tests
 * (`inject('nexusUrl')` …). `npm test` therefore needs nothing running beforehand.
 */
import { exportJWK, generateKeyPair } from 'jose'
import type { TestProject } from 'vitest/node'
import { seedNexus } from '../../db/seed'
import { migrateStack, startLocalStack, withPgClient } from '../../scripts/lib/local-stack'

declare module 'vitest' {
  export interface ProvidedContext {
    nexusUrl: string
    memoryUrl: string
    proxyAddress: string
    /** Public key set of a stand-in identity gateway, and its private signing key (JWK). */
    gatewayJwks: string
    gatewayPrivateJwk: string
  }
}

export default async function setup(project: TestProject) {
  const stack = await startLocalStack({
    host: '127.0.0.1',
    nexusPort: 0,
    memoryPort: 0,
    proxyPort: 0,
    apiPort: 0,
  })
  await migrateStack(stack)
  // Reference data the Worker reads (deities and blessings for /v1/deities).
  await withPgClient(stack.nexusUrl, (c) => seedNexus(c))
  project.provide('nexusUrl', stack.nexusUrl)
  project.provide('memoryUrl', stack.memoryUrl)
  project.provide('proxyAddress', stack.proxyAddress)
  const { publicKey, privateKey } = await generateKeyPair('RS256', { extractable: true })
  const publicJwk = {
    ...(await exportJWK(publicKey)),
    kid: 'gateway-test',
    alg: 'RS256',
    use: 'sig',
  }
  project.provide('gatewayJwks', JSON.stringify({ keys: [publicJwk] }))
  project.provide(
    'gatewayPrivateJwk',
    JSON.stringify({ ...(await exportJWK(privateKey)), kid: 'gateway-test' }),
  )
  return () => stack.close()
}
