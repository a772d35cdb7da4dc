/**
 * Operator routes of the catalogue: `/v1/admin/items` (delete items, allow item creators; admin
 * role) and `/v1/admin/item-templates` (template CRUD and generation; admin and service roles,
 * since templates feed AI-generated items).
 */
import { identityOf } from '../lib/auth'
import { nexus } from '../lib/db'
import { authRoutes, createRouter, errorResponseSpec, jsonBody, jsonResponse } from '../lib/openapi'
import { pageSchema } from '../lib/pagination'
import {
  CreateTemplateBodySchema,
  GenerateBodySchema,
  GeneratedItemSchema,
  ItemCreatorSchema,
  ItemIdParamSchema,
  ItemTemplateSchema,
  ListCreatorsQuerySchema,
  ListTemplatesQuerySchema,
  UpdateTemplateBodySchema,
  UserIdParamSchema,
} from './schemas'
import { allowItemCreator, deleteItem, listItemCreators, revokeItemCreator } from './service'
import {
  createTemplate,
  deleteTemplate,
  generateFromTemplate,
  getTemplate,
  listTemplates,
  updateTemplate,
} from './templates'

const adminRoles = ['admin' as const]
const adminRoute = authRoutes({ tags: ['items admin'], roles: adminRoles })

export const itemsAdminRouter = createRouter({ auth: true, roles: adminRoles })
  .openapi(
    adminRoute({
      method: 'delete',
      path: '/{id}',
      summary: 'Delete a catalogue item nobody holds, has placed or has listed',
      request: { params: ItemIdParamSchema },
      responses: {
        204: { description: 'Deleted' },
        404: errorResponseSpec('No item with that id'),
        409: errorResponseSpec('Players hold, have placed or have listed it (counts in details)'),
      },
    }),
    async (c) => {
      await deleteItem(nexus(c).db, { actor: identityOf(c), item_id: c.req.valid('param').id })
      return c.body(null, 204)
    },
  )
  .openapi(
    adminRoute({
      method: 'get',
      path: '/creators',
      summary: 'Users allowed to create catalogue items, most recent first',
      request: { query: ListCreatorsQuerySchema },
      responses: {
        200: jsonResponse(pageSchema(ItemCreatorSchema), 'A page of item creators'),
        400: errorResponseSpec('Invalid limit or cursor'),
      },
    }),
    async (c) =>
      c.json(
        await listItemCreators(nexus(c).db, { actor: identityOf(c), ...c.req.valid('query') }),
        200,
      ),
  )
  .openapi(
    adminRoute({
      method: 'put',
      path: '/creators/{user_id}',
      summary: 'Allow a user to create catalogue items',
      request: { params: UserIdParamSchema },
      responses: {
        200: jsonResponse(ItemCreatorSchema, 'Already allowed'),
        201: jsonResponse(ItemCreatorSchema, 'Allowed'),
        404: errorResponseSpec('No such user'),
      },
    }),
    async (c) => {
      const result = await allowItemCreator(nexus(c).db, {
        actor: identityOf(c),
        user_id: c.req.valid('param').user_id,
      })
      return result.created ? c.json(result.creator, 201) : c.json(result.creator, 200)
    },
  )
  .openapi(
    adminRoute({
      method: 'delete',
      path: '/creators/{user_id}',
      summary: 'Stop a user creating items (their items stay)',
      request: { params: UserIdParamSchema },
      responses: {
        204: { description: 'No longer allowed' },
        404: errorResponseSpec('That user is not an item creator'),
      },
    }),
    async (c) => {
      await revokeItemCreator(nexus(c).db, {
        actor: identityOf(c),
        user_id: c.req.valid('param').user_id,
      })
      return c.body(null, 204)
    },
  )

const templateRoles = ['admin' as const, 'service' as const]
const templateRoute = authRoutes({ tags: ['item templates'], roles: templateRoles })
const templateNotFound = errorResponseSpec('No item template with that id')

export const itemTemplatesAdminRouter = createRouter({ auth: true, roles: templateRoles })
  .openapi(
    templateRoute({
      method: 'get',
      path: '/',
      summary: 'Item templates, newest first',
      request: { query: ListTemplatesQuerySchema },
      responses: {
        200: jsonResponse(pageSchema(ItemTemplateSchema), 'A page of templates'),
        400: errorResponseSpec('Invalid filter, limit or cursor'),
      },
    }),
    async (c) =>
      c.json(
        await listTemplates(nexus(c).db, { actor: identityOf(c), ...c.req.valid('query') }),
        200,
      ),
  )
  .openapi(
    templateRoute({
      method: 'post',
      path: '/',
      summary: 'Create an item template',
      request: { body: jsonBody(CreateTemplateBodySchema) },
      responses: {
        201: jsonResponse(ItemTemplateSchema, 'The new template'),
        400: errorResponseSpec('Invalid template, or one that makes no item type'),
      },
    }),
    async (c) =>
      c.json(
        await createTemplate(nexus(c).db, { actor: identityOf(c), ...c.req.valid('json') }),
        201,
      ),
  )
  .openapi(
    templateRoute({
      method: 'get',
      path: '/{id}',
      summary: 'One item template',
      request: { params: ItemIdParamSchema },
      responses: { 200: jsonResponse(ItemTemplateSchema, 'The template'), 404: templateNotFound },
    }),
    async (c) =>
      c.json(
        await getTemplate(nexus(c).db, {
          actor: identityOf(c),
          template_id: c.req.valid('param').id,
        }),
        200,
      ),
  )
  .openapi(
    templateRoute({
      method: 'patch',
      path: '/{id}',
      summary: 'Change an item template (items made before keep what they were made with)',
      request: { params: ItemIdParamSchema, body: jsonBody(UpdateTemplateBodySchema) },
      responses: {
        200: jsonResponse(ItemTemplateSchema, 'The updated template'),
        400: errorResponseSpec('Invalid field, or a template that makes no item type'),
        404: templateNotFound,
      },
    }),
    async (c) =>
      c.json(
        await updateTemplate(nexus(c).db, {
          actor: identityOf(c),
          template_id: c.req.valid('param').id,
          changes: c.req.valid('json'),
        }),
        200,
      ),
  )
  .openapi(
    templateRoute({
      method: 'delete',
      path: '/{id}',
      summary: 'Delete an item template (items made from it stay)',
      request: { params: ItemIdParamSchema },
      responses: { 204: { description: 'Deleted' }, 404: templateNotFound },
    }),
    async (c) => {
      await deleteTemplate(nexus(c).db, {
        actor: identityOf(c),
        template_id: c.req.valid('param').id,
      })
      return c.body(null, 204)
    },
  )
  .openapi(
    templateRoute({
      method: 'post',
      path: '/{id}/generate',
      summary: 'Make a catalogue item from the template’s variable components',
      description:
        'Components (by name), the size and the rarity are drawn from one seeded generator: the same template and `seed` give the same item. Without `seed` a random one is used and returned.',
      request: { params: ItemIdParamSchema, body: jsonBody(GenerateBodySchema) },
      responses: {
        201: jsonResponse(GeneratedItemSchema, 'The new item and the seed it was made with'),
        400: errorResponseSpec('Invalid seed or name'),
        404: templateNotFound,
        409: errorResponseSpec('The stored template is not valid for generation'),
      },
    }),
    async (c) =>
      c.json(
        await generateFromTemplate(nexus(c).db, {
          actor: identityOf(c),
          template_id: c.req.valid('param').id,
          ...c.req.valid('json'),
        }),
        201,
      ),
  )
