import { describe, expect, it } from 'vitest'
import type { Db } from '../../db/client'
import { grantItems } from '../../functions/inventory/service'
import { ApiError } from '../../functions/lib/errors'

/** Lines are checked before the database is touched: a database that must not be used. */
const untouchable = new Proxy(
  {},
  {
    get() {
      throw new Error('the database was used')
    },
  },
) as Db

describe('grantItems (the grant service quest rewards call)', () => {
  it.each([
    [{ item_id: 'special_seed', quantity: 1 }],
    [{ item_id: crypto.randomUUID(), quantity: 0 }],
    [{ item_id: crypto.randomUUID(), quantity: 1.5 }],
  ])('refuses %j with a 400 before touching the database', async (line) => {
    const grant = grantItems(untouchable, {
      user_id: crypto.randomUUID(),
      items: [line],
      reason: 'quest reward',
      kind: 'quest_reward',
    })
    await expect(grant).rejects.toBeInstanceOf(ApiError)
    await expect(grant).rejects.toMatchObject({ code: 'validation_error' })
  })
})
