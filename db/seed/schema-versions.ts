/**
 * schema_version rows: the history of the production nexus database as the seed records it.
 */

/** The seed's schema_version records. */
export const SCHEMA_VERSIONS: ReadonlyArray<{ version: string; description: string }> = [
  { version: '1.0.0', description: 'Initial NEXUS v1 database schema' },
  { version: '001', description: 'Add environment indexes' },
  { version: '002', description: 'Add asset registry' },
  { version: '003', description: 'Add quest & challenge system' },
  { version: '004', description: 'Add Akashic System (resonance, rank, strengths)' },
  { version: '005', description: 'Add 12 Attribute System + Deity Bonding + Easter Eggs' },
]
