import { describe, expect, it } from 'vitest'
import { suitePglite } from '../../support/pglite'
import { createUser, pgError } from './fixtures'

const pg = suitePglite('nexus')

describe('user_balances', () => {
  it('rejects negative tokens', async () => {
    const user = await createUser(pg.client)
    const error = await pgError(
      pg.client.query('UPDATE user_balances SET tokens = tokens - 101 WHERE user_id = $1', [user]),
    )
    expect(error.code, error.message).toBe('23514')
    expect(error.constraint).toBe('user_balances_tokens_check')
  })

  it('rejects negative premium tokens', async () => {
    const user = await createUser(pg.client)
    const error = await pgError(
      pg.client.query('UPDATE user_balances SET premium_tokens = -1 WHERE user_id = $1', [user]),
    )
    expect(error.constraint, error.message).toBe('user_balances_premium_tokens_check')
  })

  it('accepts spending exactly the balance', async () => {
    const user = await createUser(pg.client)
    await pg.client.query('UPDATE user_balances SET tokens = tokens - 100 WHERE user_id = $1', [
      user,
    ])
    const { rows } = await pg.client.query('SELECT tokens FROM user_balances WHERE user_id = $1', [
      user,
    ])
    expect(rows[0]).toEqual({ tokens: 0 })
  })
})

describe('quests', () => {
  const insert = (difficulty: number) =>
    pg.client.query(
      `INSERT INTO quests (title, challenge_type, quest_data, rewards, difficulty_rating)
       VALUES ('q', 'microgame', '{}', '{}', $1)`,
      [difficulty],
    )

  it('rejects difficulty 6', async () => {
    const error = await pgError(insert(6))
    expect(error.constraint, error.message).toBe('quests_difficulty_rating_check')
  })

  it('rejects difficulty 0 and accepts 1 and 5', async () => {
    expect((await pgError(insert(0))).constraint).toBe('quests_difficulty_rating_check')
    await insert(1)
    await insert(5)
  })
})

describe('user_uploaded_media', () => {
  const insert = (user: string, bytes: number, mediaType = 'image') =>
    pg.client.query(
      `INSERT INTO user_uploaded_media (user_id, media_type, file_path, file_size_bytes, mime_type)
       VALUES ($1, $2, '/u/x.png', $3, 'image/png')`,
      [user, mediaType, bytes],
    )

  it('rejects an upload over 5 MB', async () => {
    const user = await createUser(pg.client)
    const error = await pgError(insert(user, 5_000_001))
    expect(error.constraint, error.message).toBe('user_uploaded_media_file_size_bytes_check')
  })

  it('accepts an upload of exactly 5 MB', async () => {
    const user = await createUser(pg.client)
    await insert(user, 5_000_000)
  })

  it('rejects an unknown media type', async () => {
    const user = await createUser(pg.client)
    const error = await pgError(insert(user, 10, 'pdf'))
    expect(error.constraint, error.message).toBe('user_uploaded_media_media_type_check')
  })
})

describe('inventories and marketplace_listings', () => {
  it('reject zero quantities and prices', async () => {
    const user = await createUser(pg.client)
    const { rows } = await pg.client.query<{ id: string }>(
      "INSERT INTO items (name, type) VALUES ('sword', 'weapon') RETURNING id",
    )
    const item = rows[0].id
    expect(
      (
        await pgError(
          pg.client.query(
            'INSERT INTO inventories (user_id, item_id, quantity) VALUES ($1, $2, 0)',
            [user, item],
          ),
        )
      ).constraint,
    ).toBe('inventories_quantity_check')
    expect(
      (
        await pgError(
          pg.client.query(
            'INSERT INTO marketplace_listings (seller_id, item_id, price, escrow_quantity) VALUES ($1, $2, 0, 1)',
            [user, item],
          ),
        )
      ).constraint,
    ).toBe('marketplace_listings_price_check')
  })
})

describe('akashic_tablet_discoveries', () => {
  it('rejects tablet 14 and a second discovery of the same tablet', async () => {
    const user = await createUser(pg.client)
    const insert = (n: number) =>
      pg.client.query(
        'INSERT INTO akashic_tablet_discoveries (user_id, tablet_number) VALUES ($1, $2)',
        [user, n],
      )
    expect((await pgError(insert(14))).constraint).toBe(
      'akashic_tablet_discoveries_tablet_number_check',
    )
    await insert(13)
    expect((await pgError(insert(13))).code).toBe('23505')
  })
})
