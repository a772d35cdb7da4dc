/**
 * The console's served script is built from the current sources: `bundle.generated.ts` must be
 * exactly what `npm run console:build` makes now; and the map's zone order is zones.ts's.
 */
import { readFile } from 'node:fs/promises'
import { describe, expect, it } from 'vitest'
import { ZONES } from '../../durable-objects/instance-room/zones'
import {
  canvasToWorld,
  MAP_SIZE_PX,
  MAP_ZONES,
  worldToCanvas,
} from '../../functions/console/ui/geometry'
import { buildConsoleBundle, CONSOLE_BUNDLE_PATH } from '../../scripts/lib/console-bundle'

describe('functions/console/bundle.generated.ts', () => {
  it('is the bundle of the current console and SDK (run `npm run console:build` after changing them)', async () => {
    const committed = await readFile(CONSOLE_BUNDLE_PATH, 'utf8')
    expect(
      committed === (await buildConsoleBundle()),
      `${CONSOLE_BUNDLE_PATH} is stale: run \`npm run console:build\` and commit the result`,
    ).toBe(true)
  })
})

describe('the console map', () => {
  it('lays the zones out in the order of zones.ts', () => {
    expect(MAP_ZONES).toEqual(ZONES)
  })

  it('puts north at the top and east on the right, and maps back', () => {
    const bounds = { min_x: -150, max_x: 150, min_z: -150, max_z: 150 }
    expect(worldToCanvas(bounds, -150, 150)).toEqual({ px: 0, py: 0 })
    expect(worldToCanvas(bounds, 150, -150)).toEqual({ px: MAP_SIZE_PX, py: MAP_SIZE_PX })
    expect(canvasToWorld(bounds, MAP_SIZE_PX / 2, MAP_SIZE_PX / 4)).toEqual({ x: 0, z: 75 })
  })
})
