/**
 * Column helpers shared by the nexus and memory schemas.
 */
import { customType, timestamp } from 'drizzle-orm/pg-core'

/** `timestamptz`: every timestamp in both databases carries its time zone. */
export const timestamptz = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' })

/** `bytea` as a Node `Buffer`/`Uint8Array` (drizzle-orm 0.45 has no built-in bytea column). */
export const bytea = customType<{ data: Uint8Array; driverData: Uint8Array }>({
  dataType() {
    return 'bytea'
  },
})
