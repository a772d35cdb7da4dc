/** `/v1/items`: the item catalogue (read by everyone; written by admins and allowed creators). */
import { identityOf } from '../lib/auth'
import { nexus } from '../lib/db'
import { authRoutes, createRouter, errorResponseSpec, jsonBody, jsonResponse } from '../lib/openapi'
import { pageSchema } from '../lib/pagination'
import {
  CreateItemBodySchema,
  ItemIdParamSchema,
  ItemSchema,
  ListItemsQuerySchema,
  UpdateItemBodySchema,
} from './schemas'
import { createItem, getItem, listItems, updateItem } from './service'

const route = authRoutes({ tags: ['items'] })
const notFound = errorResponseSpec('No item with that id')

export const itemsRouter = createRouter({ auth: true })
  .openapi(
    route({
      method: 'get',
      path: '/',
      summary:
        'The item catalogue by name, filtered by type, rarity, tradeability, creator or text',
      request: { query: ListItemsQuerySchema },
      responses: {
        200: jsonResponse(pageSchema(ItemSchema), 'A page of items'),
        400: errorResponseSpec('Invalid filter, limit or cursor'),
      },
    }),
    async (c) =>
      c.json(await listItems(nexus(c).db, { actor: identityOf(c), ...c.req.valid('query') }), 200),
  )
  .openapi(
    route({
      method: 'post',
      path: '/',
      summary: 'Create a catalogue item (admins, and the item creators operators allow)',
      description:
        'You become the creator. A `building` or `decoration` item may name its registry asset in `properties.asset_id`; placing it then runs that asset’s licence check. Creating an item gives nobody any units: units come from grants.',
      request: { body: jsonBody(CreateItemBodySchema) },
      responses: {
        201: jsonResponse(ItemSchema, 'The new item'),
        400: errorResponseSpec('Unknown or invalid field, or an unknown properties.asset_id'),
        403: errorResponseSpec('Not an admin or an allowed item creator'),
      },
    }),
    async (c) =>
      c.json(await createItem(nexus(c).db, { actor: identityOf(c), ...c.req.valid('json') }), 201),
  )
  .openapi(
    route({
      method: 'get',
      path: '/{id}',
      summary: 'One catalogue item',
      request: { params: ItemIdParamSchema },
      responses: { 200: jsonResponse(ItemSchema, 'The item'), 404: notFound },
    }),
    async (c) =>
      c.json(
        await getItem(nexus(c).db, { actor: identityOf(c), item_id: c.req.valid('param').id }),
        200,
      ),
  )
  .openapi(
    route({
      method: 'patch',
      path: '/{id}',
      summary: 'Change a catalogue item (admins; its creator while allowed)',
      description:
        'Lowering `max_stack_size` takes nothing away: larger stacks stay, they cannot grow.',
      request: { params: ItemIdParamSchema, body: jsonBody(UpdateItemBodySchema) },
      responses: {
        200: jsonResponse(ItemSchema, 'The updated item'),
        400: errorResponseSpec('Unknown or invalid field'),
        403: errorResponseSpec('Not an admin or the item’s allowed creator'),
        404: notFound,
      },
    }),
    async (c) =>
      c.json(
        await updateItem(nexus(c).db, {
          actor: identityOf(c),
          item_id: c.req.valid('param').id,
          changes: c.req.valid('json'),
        }),
        200,
      ),
  )
