/**
 * Item rewards of a quest: checked against the catalogue when the quest is written, granted into
 * the inventory by the completion (through the inventory's `grantItems`, audited), and refused
 * alone, never failing the completion, when the player cannot take them.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import { api, registerPlayer, sqlRows, type Player } from '../support/api'
import { createItem, grant, registerAdmin } from '../support/items'
import {
  connectSession,
  createQuest,
  eventually,
  openSession,
  sessionAction,
  sessionMove,
  sessionStub,
} from '../support/quests'

const NEAR_GARDEN = {
  objectives: [{ id: 'garden', type: 'reach_location', location: { x: 5, y: 0, z: 0 }, radius: 3 }],
  max_speed_mps: 10,
}

let admin: Player
beforeAll(async () => {
  admin = await registerAdmin('qitems')
})

/** Plays a one-player quest (reach the garden) to completion; returns the session id. */
async function playToCompletion(player: Player, questId: string): Promise<string> {
  const session = await openSession(player, questId)
  const { client } = await connectSession(player, session.id)
  await sessionAction(player, session.id, 'start')
  await sessionStub(session.id).advanceClock(1_000)
  expect(await sessionMove(client, player, 5, 0)).toBeNull()
  client.send({ type: 'reach', objective_id: 'garden' })
  await client.waitForEvent((e) => e.type === 'completed', 'completed')
  client.close()
  return session.id
}

/** Units of `itemId` the user holds. */
async function held(userId: string, itemId: string): Promise<number> {
  const [row] = await sqlRows<{ n: number }>(
    'SELECT coalesce(sum(quantity), 0)::int AS n FROM inventories WHERE user_id = $1 AND item_id = $2',
    [userId, itemId],
  )
  return row.n
}

describe('quest item rewards', () => {
  it('refuses a quest whose reward names an item that does not exist, with the path', async () => {
    const creator = await registerPlayer('qrew')
    const res = await api('/v1/quests', {
      token: creator.token,
      body: {
        title: 'Promise of nothing',
        challenge_type: 'exploration',
        quest_data: NEAR_GARDEN,
        rewards: { items: [{ item_id: crypto.randomUUID(), quantity: 1 }] },
      },
    })
    expect(res.status, res.text).toBe(400)
    expect(res.body.error.details[0].path).toEqual(['rewards', 'items', 0, 'item_id'])
  })

  it('grants the items into the inventory once, with a quest_reward audit row', async () => {
    const player = await registerPlayer('qrewok')
    const item = await createItem(admin, { max_stack_size: 10 })
    const quest = await createQuest(player, {
      quest_data: NEAR_GARDEN,
      rewards: { tokens: 5, items: [{ item_id: item.id.toUpperCase(), quantity: 2 }] },
    })
    const sessionId = await playToCompletion(player, quest.id)
    expect(
      await eventually(
        () => held(player.id, item.id),
        (n) => n === 2,
        'the reward units',
      ),
    ).toBe(2)
    const audit = await sqlRows<{ n: number }>(
      `SELECT count(*)::int AS n FROM transactions
       WHERE transaction_type = 'quest_reward' AND to_user = $1 AND reference_id = $2
         AND items_transferred IS NOT NULL`,
      [player.id, sessionId],
    )
    expect(audit[0].n).toBe(1)
  })

  it('completes and grants the other rewards when the player cannot take the items (full stack)', async () => {
    const player = await registerPlayer('qrewfull')
    const item = await createItem(admin, { max_stack_size: 1 })
    expect((await grant(admin, player.id, [{ item_id: item.id, quantity: 1 }])).status).toBe(201)
    const quest = await createQuest(player, {
      quest_data: NEAR_GARDEN,
      rewards: { tokens: 5, items: [{ item_id: item.id, quantity: 1 }] },
    })
    const sessionId = await playToCompletion(player, quest.id)
    const completion = await eventually(
      async () =>
        (
          await sqlRows<{ stats: any }>(
            'SELECT game_specific_stats AS stats FROM challenge_completions WHERE quest_instance_id = $1',
            [sessionId],
          )
        )[0],
      (row) => row !== undefined,
      'the completion',
    )
    expect(completion.stats.items_refused, JSON.stringify(completion.stats)).toMatchObject({
      code: 'conflict',
      items: [{ item_id: item.id, quantity: 1 }],
    })
    expect(await held(player.id, item.id), 'nothing truncated or added').toBe(1)
    const tokens = await sqlRows<{ n: number }>(
      `SELECT count(*)::int AS n FROM token_transactions
       WHERE user_id = $1 AND transaction_type = 'quest_reward'`,
      [player.id],
    )
    expect(tokens[0].n, 'the token reward still granted').toBe(1)
  })
})
