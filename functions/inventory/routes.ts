/**
 * `/v1/inventory`: your stacks, slots and names, consuming and dropping units, gifts to other
 * players and your item history; `/v1/users/:id/inventory` (a router nested in the users router):
 * another player's inventory when they made it public.
 */
import type { Context } from 'hono'
import { identityOf } from '../lib/auth'
import type { AppEnv } from '../lib/context'
import { nexus } from '../lib/db'
import { IdempotencyHeaderSchema, idempotencyKeyOf, runIdempotent } from '../lib/idempotency'
import {
  authRoutes,
  createNestedRouter,
  createRouter,
  errorResponseSpec,
  jsonBody,
  jsonResponse,
} from '../lib/openapi'
import { pageSchema, TimestampIdPageQuerySchema } from '../lib/pagination'
import {
  GiftBodySchema,
  GiftSchema,
  ItemIdParamSchema,
  ItemMovementSchema,
  ListInventoryQuerySchema,
  PublicStackSchema,
  StackSchema,
  UnitsBodySchema,
  UnitsResultSchema,
  type UnitsBody,
  UpdateStackBodySchema,
  UserIdParamSchema,
} from './schemas'
import {
  getStack,
  giftUnits,
  listInventory,
  listItemHistory,
  listUserInventory,
  removeUnits,
  updateStack,
} from './service'

const route = authRoutes({ tags: ['inventory'] })
const notHeld = errorResponseSpec('You hold none of that item')
const optionalKey = IdempotencyHeaderSchema.partial()

/** `POST /{item_id}/consume` and `/{item_id}/drop`: the same shape, one action each. */
const unitsRoute = (action: 'consume' | 'drop') =>
  route({
    method: 'post',
    path: `/{item_id}/${action}`,
    summary:
      action === 'consume'
        ? 'Consume units of a consumable item (the game applies its effect)'
        : 'Drop units of an item (they are destroyed)',
    description: 'An Idempotency-Key is optional; with one, a retry replays the first answer.',
    request: { params: ItemIdParamSchema, headers: optionalKey, body: jsonBody(UnitsBodySchema) },
    responses: {
      200: jsonResponse(UnitsResultSchema, 'Units removed'),
      400: errorResponseSpec('Invalid quantity'),
      404: errorResponseSpec('No item with that id'),
      409: errorResponseSpec(
        action === 'consume'
          ? 'Not enough units (`insufficient_quantity`), or not consumable (`not_consumable`)'
          : 'Not enough units (`details.reason`: `insufficient_quantity`)',
      ),
      422: errorResponseSpec('Idempotency-Key reused with a different request'),
    },
  })

/** Consume or drop: the handler of `unitsRoute(action)`. */
async function removeUnitsHandler(
  c: Context<AppEnv, string, { out: { json: UnitsBody; param: { item_id: string } } }>,
  action: 'consume' | 'drop',
) {
  const actor = identityOf(c)
  const itemId = c.req.valid('param').item_id
  const body = c.req.valid('json')
  return runIdempotent(
    c,
    nexus(c).db,
    { userId: actor.userId, key: idempotencyKeyOf(c, false), request: body },
    async (tx) => ({
      status: 200,
      body: await removeUnits(tx, { actor, item_id: itemId, ...body, action }),
    }),
  )
}

export const inventoryRouter = createRouter({ auth: true })
  .openapi(
    route({
      method: 'get',
      path: '/',
      summary: 'Your inventory, most recently acquired first',
      request: { query: ListInventoryQuerySchema },
      responses: {
        200: jsonResponse(pageSchema(StackSchema), 'A page of your stacks'),
        400: errorResponseSpec('Invalid filter, limit or cursor'),
      },
    }),
    async (c) =>
      c.json(
        await listInventory(nexus(c).db, { actor: identityOf(c), ...c.req.valid('query') }),
        200,
      ),
  )
  .openapi(
    route({
      method: 'get',
      path: '/history',
      summary:
        'Item movements you took part in (gifts, grants, consumption, buildings), newest first',
      request: { query: TimestampIdPageQuerySchema },
      responses: {
        200: jsonResponse(pageSchema(ItemMovementSchema), 'A page of item movements'),
        400: errorResponseSpec('Invalid limit or cursor'),
      },
    }),
    async (c) =>
      c.json(
        await listItemHistory(nexus(c).db, { actor: identityOf(c), ...c.req.valid('query') }),
        200,
      ),
  )
  .openapi(
    route({
      method: 'post',
      path: '/gifts',
      summary: 'Give units of a tradeable item to another player',
      description:
        'Needs an Idempotency-Key: a retry with the same key and body replays the first answer byte for byte. All or nothing: the recipient’s stack must have room for every unit (`max_stack_size`).',
      request: { headers: IdempotencyHeaderSchema, body: jsonBody(GiftBodySchema) },
      responses: {
        201: jsonResponse(GiftSchema, 'Given'),
        400: errorResponseSpec('Invalid body, a gift to yourself, or a missing Idempotency-Key'),
        404: errorResponseSpec('No such recipient or item'),
        409: errorResponseSpec(
          '`details.reason`: `insufficient_quantity`, `stack_full` (the recipient’s) or `not_tradeable`',
        ),
        422: errorResponseSpec('Idempotency-Key reused with a different request'),
      },
    }),
    async (c) => {
      const actor = identityOf(c)
      const body = c.req.valid('json')
      return runIdempotent(
        c,
        nexus(c).db,
        { userId: actor.userId, key: idempotencyKeyOf(c, true), request: body },
        async (tx) => ({ status: 201, body: await giftUnits(tx, { actor, ...body }) }),
      )
    },
  )
  .openapi(
    route({
      method: 'get',
      path: '/{item_id}',
      summary: 'One stack of yours',
      request: { params: ItemIdParamSchema },
      responses: { 200: jsonResponse(StackSchema, 'The stack'), 404: notHeld },
    }),
    async (c) =>
      c.json(
        await getStack(nexus(c).db, {
          actor: identityOf(c),
          item_id: c.req.valid('param').item_id,
        }),
        200,
      ),
  )
  .openapi(
    route({
      method: 'patch',
      path: '/{item_id}',
      summary: 'Move a stack to a slot, rename it or colour it',
      description:
        '`custom_properties` takes only `renamed_to` and `custom_color` (null removes one); the game’s own keys are kept.',
      request: { params: ItemIdParamSchema, body: jsonBody(UpdateStackBodySchema) },
      responses: {
        200: jsonResponse(StackSchema, 'The updated stack'),
        400: errorResponseSpec('Unknown or invalid field'),
        404: notHeld,
        409: errorResponseSpec('Another stack is in that slot (`details.reason`: `slot_taken`)'),
      },
    }),
    async (c) =>
      c.json(
        await updateStack(nexus(c).db, {
          actor: identityOf(c),
          item_id: c.req.valid('param').item_id,
          ...c.req.valid('json'),
        }),
        200,
      ),
  )
  .openapi(unitsRoute('consume'), (c) => removeUnitsHandler(c, 'consume'))
  .openapi(unitsRoute('drop'), (c) => removeUnitsHandler(c, 'drop'))

/** `GET /v1/users/{id}/inventory`, mounted inside the users router. */
export const userInventoryRouter = createNestedRouter().openapi(
  authRoutes({ tags: ['inventory'] })({
    method: 'get',
    path: '/{id}/inventory',
    summary: 'Another player’s inventory, when they made it public',
    description:
      'Visible when the owner set `metadata.preferences.inventory_visibility` to `"public"` (PATCH /v1/users/me); always to the owner and to staff. Others see quantities, items and the cosmetic `custom_properties` only.',
    request: { params: UserIdParamSchema, query: ListInventoryQuerySchema },
    responses: {
      200: jsonResponse(pageSchema(PublicStackSchema), 'A page of the player’s stacks'),
      400: errorResponseSpec('Invalid id, filter, limit or cursor'),
      403: errorResponseSpec('The player keeps their inventory private'),
      404: errorResponseSpec('No such user'),
    },
  }),
  async (c) =>
    c.json(
      await listUserInventory(nexus(c).db, {
        actor: identityOf(c),
        user_id: c.req.valid('param').id,
        ...c.req.valid('query'),
      }),
      200,
    ),
)
