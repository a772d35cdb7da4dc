/**
 * `npm run deploy:check`: bundles the Worker exactly as `wrangler deploy` would, without deploying
 * (works offline, no account), and prints the bundle size.
 */
import { spawnSync } from 'node:child_process'
import { readdirSync, statSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { gzipSync } from 'node:zlib'
import { readFileSync } from 'node:fs'

const outDir = resolve('dist')
const result = spawnSync(
  process.execPath,
  [resolve('node_modules/wrangler/bin/wrangler.js'), 'deploy', '--dry-run', '--outdir', outDir],
  { stdio: 'inherit', env: { ...process.env, WRANGLER_SEND_METRICS: 'false' } },
)
if (result.status !== 0) process.exit(result.status ?? 1)

let total = 0
let gzipped = 0
for (const file of readdirSync(outDir)) {
  const path = join(outDir, file)
  if (!statSync(path).isFile() || file.endsWith('.map')) continue
  total += statSync(path).size
  gzipped += gzipSync(readFileSync(path)).length
}
const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`
console.log(`bundle: ${kib(total)} (${kib(gzipped)} gzipped) in ${outDir}`)
