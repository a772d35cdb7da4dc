import { describe, expect, it } from 'vitest'
import { HOUSE_USER_ID } from '../../../functions/economy/ledger'
import { suitePglite } from '../../support/pglite'
import { createUser, pgError } from './fixtures'

const pg = suitePglite('nexus')

async function createItem(): Promise<string> {
  const { rows } = await pg.client.query<{ id: string }>(
    "INSERT INTO items (name, type) VALUES ('gem', 'seed') RETURNING id",
  )
  return rows[0].id
}

describe('the house account (migration 0050)', () => {
  it('exists as a user named house with an empty balance', async () => {
    const { rows } = await pg.client.query(
      `SELECT u.username, b.tokens, b.total_earned FROM users u
       JOIN user_balances b ON b.user_id = u.id WHERE u.id = $1`,
      [HOUSE_USER_ID],
    )
    expect(rows).toEqual([{ username: 'house', tokens: 0, total_earned: 0 }])
  })
})

describe('marketplace_listings escrow', () => {
  const insert = async (columns: Record<string, unknown>) => {
    const values = {
      seller_id: await createUser(pg.client),
      item_id: await createItem(),
      price: 10,
      quantity: 3,
      escrow_quantity: 3,
      ...columns,
    }
    const names = Object.keys(values)
    return pg.client.query(
      `INSERT INTO marketplace_listings (${names.join(', ')})
       VALUES (${names.map((_, i) => `$${i + 1}`).join(', ')})`,
      Object.values(values),
    )
  }

  it('holds units exactly while active (an expired listing may still hold them)', async () => {
    await insert({})
    await insert({ status: 'expired', escrow_quantity: 2 })
    await insert({ status: 'sold', escrow_quantity: 0, sold_at: new Date() })
    const refusals: Array<[Record<string, unknown>, string]> = [
      [{ escrow_quantity: 0 }, 'marketplace_listings_escrow_status_check'],
      [{ status: 'cancelled' }, 'marketplace_listings_escrow_status_check'],
      [{ status: 'sold', escrow_quantity: 0 }, 'marketplace_listings_sold_at_check'],
      [{ escrow_quantity: 4 }, 'marketplace_listings_escrow_check'],
      [{ status: 'accepted', escrow_quantity: 0 }, 'marketplace_listings_status_check'],
      [{ price: 1_000_000_000 }, 'marketplace_listings_total_price_check'],
    ]
    for (const [columns, constraint] of refusals) {
      const error = await pgError(insert(columns))
      expect(error.constraint, `${JSON.stringify(columns)}: ${error.message}`).toBe(constraint)
    }
    const missing = await pgError(
      pg.client.query(
        'INSERT INTO marketplace_listings (seller_id, item_id, price) VALUES ($1, $2, 1)',
        [await createUser(pg.client), await createItem()],
      ),
    )
    expect(missing.code, 'escrow_quantity must be stated').toBe('23502')
  })
})

describe('trade_requests escrow', () => {
  const insert = async (columns: Record<string, unknown>) => {
    const values = {
      requester_id: await createUser(pg.client),
      recipient_id: await createUser(pg.client),
      escrow_held: true,
      ...columns,
    }
    const names = Object.keys(values)
    return pg.client.query(
      `INSERT INTO trade_requests (${names.join(', ')})
       VALUES (${names.map((_, i) => `$${i + 1}`).join(', ')})`,
      Object.values(values),
    )
  }

  it('holds the requester’s side while pending, never after completing', async () => {
    await insert({})
    await insert({ status: 'declined', escrow_held: true })
    await insert({ status: 'completed', escrow_held: false, completed_at: new Date() })
    const user = await createUser(pg.client)
    const refusals: Array<[Record<string, unknown>, string]> = [
      [{ escrow_held: false }, 'trade_requests_escrow_status_check'],
      [{ status: 'completed', completed_at: new Date() }, 'trade_requests_escrow_status_check'],
      [{ status: 'completed', escrow_held: false }, 'trade_requests_completed_at_check'],
      [{ status: 'accepted' }, 'trade_requests_status_check'],
      [{ requester_id: user, recipient_id: user }, 'trade_requests_parties_check'],
      [{ requester_tokens: -1 }, 'trade_requests_tokens_check'],
      [{ requester_items: '{}' }, 'trade_requests_items_check'],
    ]
    for (const [columns, constraint] of refusals) {
      const error = await pgError(insert(columns))
      expect(error.constraint, `${JSON.stringify(columns)}: ${error.message}`).toBe(constraint)
    }
  })
})
