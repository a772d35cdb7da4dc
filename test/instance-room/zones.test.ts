import { describe, expect, it } from 'vitest'
import {
  DEFAULT_AREA_BOUNDS,
  ZONES,
  areaOfInterest,
  canSee,
  parseAreaBounds,
  visibilityChange,
  zoneOf,
  type Zone,
} from '../../durable-objects/instance-room/zones'

describe('ZONES', () => {
  it('lists the nine zone names of the seed, north row first', () => {
    expect(ZONES).toEqual([
      'north_west',
      'north',
      'north_east',
      'west',
      'center',
      'east',
      'south_west',
      'south',
      'south_east',
    ])
  })
})

describe('zoneOf', () => {
  // Default area: x and z in [-150, 150]; +x is east, +z is north; thirds split at ±50.
  it('maps the north-west corner to north_west', () => {
    expect(zoneOf({ x: -150, z: 150 })).toBe('north_west')
  })

  it('maps the four corners to the corner zones', () => {
    expect(zoneOf({ x: 150, z: 150 })).toBe('north_east')
    expect(zoneOf({ x: -150, z: -150 })).toBe('south_west')
    expect(zoneOf({ x: 150, z: -150 })).toBe('south_east')
  })

  it('maps the origin to center', () => {
    expect(zoneOf({ x: 0, z: 0 })).toBe('center')
  })

  it('maps the middle of each edge to the edge zone', () => {
    expect(zoneOf({ x: 0, z: 149 })).toBe('north')
    expect(zoneOf({ x: 0, z: -149 })).toBe('south')
    expect(zoneOf({ x: 149, z: 0 })).toBe('east')
    expect(zoneOf({ x: -149, z: 0 })).toBe('west')
  })

  it('puts a point on a north-south line into the zone east of it', () => {
    expect(zoneOf({ x: -50, z: 0 })).toBe('center')
    expect(zoneOf({ x: -50.001, z: 0 })).toBe('west')
    expect(zoneOf({ x: 50, z: 0 })).toBe('east')
    expect(zoneOf({ x: 49.999, z: 0 })).toBe('center')
  })

  it('puts a point on an east-west line into the zone south of it', () => {
    expect(zoneOf({ x: 0, z: 50 })).toBe('center')
    expect(zoneOf({ x: 0, z: 50.001 })).toBe('north')
    expect(zoneOf({ x: 0, z: -50 })).toBe('south')
    expect(zoneOf({ x: 0, z: -49.999 })).toBe('center')
  })

  it('clamps positions outside the bounds to the nearest edge or corner zone', () => {
    expect(zoneOf({ x: -10_000, z: 10_000 })).toBe('north_west')
    expect(zoneOf({ x: 0, z: 151 })).toBe('north')
    expect(zoneOf({ x: 1e9, z: 0 })).toBe('east')
    expect(zoneOf({ x: 1e9, z: -1e9 })).toBe('south_east')
  })

  it('ignores y', () => {
    expect(zoneOf({ x: 0, y: 9_999, z: 0 } as { x: number; z: number })).toBe('center')
  })

  it('maps a non-finite position to center', () => {
    expect(zoneOf({ x: Number.NaN, z: 150 })).toBe('center')
    expect(zoneOf({ x: 0, z: Number.POSITIVE_INFINITY })).toBe('center')
  })

  it('uses the given bounds instead of the default area', () => {
    const bounds = { minX: 0, maxX: 30, minZ: 0, maxZ: 90 }
    expect(zoneOf({ x: 5, z: 85 }, bounds)).toBe('north_west')
    expect(zoneOf({ x: 15, z: 45 }, bounds)).toBe('center')
    expect(zoneOf({ x: 25, z: 5 }, bounds)).toBe('south_east')
    // Inside the default area's center, but in the south-west corner of these bounds.
    expect(zoneOf({ x: 0, z: 0 }, bounds)).toBe('south_west')
  })
})

describe('areaOfInterest', () => {
  it('has 4 zones for a corner', () => {
    expect(areaOfInterest('north_west')).toEqual(['north_west', 'north', 'west', 'center'])
    for (const corner of ['north_west', 'north_east', 'south_west', 'south_east'] as Zone[]) {
      expect(areaOfInterest(corner), corner).toHaveLength(4)
    }
  })

  it('has 6 zones for an edge', () => {
    expect(areaOfInterest('north')).toEqual([
      'north_west',
      'north',
      'north_east',
      'west',
      'center',
      'east',
    ])
    for (const edge of ['north', 'west', 'east', 'south'] as Zone[]) {
      expect(areaOfInterest(edge), edge).toHaveLength(6)
    }
  })

  it('has all 9 zones for center', () => {
    expect(areaOfInterest('center')).toEqual(ZONES)
  })

  it('always contains the zone itself', () => {
    for (const zone of ZONES) expect(areaOfInterest(zone)).toContain(zone)
  })
})

describe('canSee', () => {
  it('lets north_west never see south_east', () => {
    expect(canSee('north_west', 'south_east')).toBe(false)
    expect(canSee('south_east', 'north_west')).toBe(false)
  })

  it('lets every zone see center and itself', () => {
    for (const zone of ZONES) {
      expect(canSee(zone, 'center'), zone).toBe(true)
      expect(canSee(zone, zone), zone).toBe(true)
    }
  })

  it('sees diagonally adjacent zones but not zones two apart', () => {
    expect(canSee('north_west', 'center')).toBe(true)
    expect(canSee('north_west', 'north_east')).toBe(false)
    expect(canSee('west', 'east')).toBe(false)
  })

  it('is symmetric and agrees with areaOfInterest', () => {
    for (const viewer of ZONES) {
      for (const mover of ZONES) {
        expect(canSee(viewer, mover)).toBe(canSee(mover, viewer))
        expect(canSee(viewer, mover)).toBe(areaOfInterest(viewer).includes(mover))
      }
    }
  })
})

describe('visibilityChange', () => {
  it('gains the five far zones when crossing from north_west into center', () => {
    expect(visibilityChange('north_west', 'center')).toEqual({
      gained: ['north_east', 'east', 'south_west', 'south', 'south_east'],
      lost: [],
    })
  })

  it('loses the far zones when leaving center for a corner', () => {
    expect(visibilityChange('center', 'south_east')).toEqual({
      gained: [],
      lost: ['north_west', 'north', 'north_east', 'west', 'south_west'],
    })
  })

  it('gains and loses a column when crossing from west to center', () => {
    expect(visibilityChange('west', 'center')).toEqual({
      gained: ['north_east', 'east', 'south_east'],
      lost: [],
    })
    expect(visibilityChange('north_west', 'north')).toEqual({
      gained: ['north_east', 'east'],
      lost: [],
    })
    expect(visibilityChange('north', 'north_east')).toEqual({
      gained: [],
      lost: ['north_west', 'west'],
    })
  })

  it('changes nothing when the zone stays the same', () => {
    expect(visibilityChange('east', 'east')).toEqual({ gained: [], lost: [] })
  })

  it('treats null as not being in the instance', () => {
    expect(visibilityChange(null, 'north_west')).toEqual({
      gained: ['north_west', 'north', 'west', 'center'],
      lost: [],
    })
    expect(visibilityChange('south', null)).toEqual({
      gained: [],
      lost: ['west', 'center', 'east', 'south_west', 'south', 'south_east'],
    })
  })
})

describe('parseAreaBounds', () => {
  it('reads metadata.custom_properties.bounds', () => {
    const metadata = {
      schema_version: 1,
      custom_properties: {
        theme: 'marketplace',
        bounds: { min_x: 0, max_x: 600, min_z: -100, max_z: 200 },
      },
    }
    expect(parseAreaBounds(metadata)).toEqual({ minX: 0, maxX: 600, minZ: -100, maxZ: 200 })
  })

  it('defaults to a 300 m square centred on the origin', () => {
    expect(DEFAULT_AREA_BOUNDS).toEqual({ minX: -150, maxX: 150, minZ: -150, maxZ: 150 })
    expect(parseAreaBounds({})).toEqual(DEFAULT_AREA_BOUNDS)
    expect(parseAreaBounds(null)).toEqual(DEFAULT_AREA_BOUNDS)
    expect(parseAreaBounds({ custom_properties: { theme: 'x' } })).toEqual(DEFAULT_AREA_BOUNDS)
  })

  it('falls back to the default for invalid bounds', () => {
    const invalid = [
      { min_x: 10, max_x: 10, min_z: 0, max_z: 1 },
      { min_x: 0, max_x: 1, min_z: 5, max_z: -5 },
      { min_x: '0', max_x: 1, min_z: 0, max_z: 1 },
      { min_x: 0, max_x: 1e12, min_z: 0, max_z: 1 },
      { min_x: 0, max_x: 1, min_z: 0 },
      { min_x: 0, max_x: 1, min_z: 0, max_z: 1, extra: true },
    ]
    for (const bounds of invalid) {
      expect(parseAreaBounds({ custom_properties: { bounds } }), JSON.stringify(bounds)).toEqual(
        DEFAULT_AREA_BOUNDS,
      )
    }
  })

  it('returns a copy that callers may change without touching the default', () => {
    const bounds = parseAreaBounds({})
    bounds.maxX = 1
    expect(DEFAULT_AREA_BOUNDS.maxX).toBe(150)
  })
})
