/** Timestamps in responses: ISO 8601 in UTC (`2026-11-30T14:16:26.189Z`), or null when absent. */
export const isoTimestamp = (value: Date | string | number | null | undefined): string | null =>
  value === null || value === undefined ? null : new Date(value).toISOString()
