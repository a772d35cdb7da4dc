/** `/v1/admin/assets`: registering, changing and deleting assets (admin role). */
import { identityOf } from '../lib/auth'
import { nexus } from '../lib/db'
import { authRoutes, createRouter, errorResponseSpec, jsonBody, jsonResponse } from '../lib/openapi'
import {
  AssetIdParamSchema,
  AssetSchema,
  CreateAssetBodySchema,
  UpdateAssetBodySchema,
} from './schemas'
import { createAsset, deleteAsset, updateAsset } from './service'

const notFound = errorResponseSpec('No asset with that id')
const adminRoles = ['admin' as const]
const adminRoute = authRoutes({ tags: ['assets admin'], roles: adminRoles })

export const assetsAdminRouter = createRouter({ auth: true, roles: adminRoles })
  .openapi(
    adminRoute({
      method: 'post',
      path: '/',
      summary: 'Register an asset with its licence',
      request: { body: jsonBody(CreateAssetBodySchema) },
      responses: {
        201: jsonResponse(AssetSchema, 'The new asset'),
        400: errorResponseSpec('Unknown or invalid field; a user_owned asset without owner_id'),
        409: errorResponseSpec('The asset_name is taken (`details.reason`: `name_taken`)'),
      },
    }),
    async (c) =>
      c.json(await createAsset(nexus(c).db, { actor: identityOf(c), ...c.req.valid('json') }), 201),
  )
  .openapi(
    adminRoute({
      method: 'patch',
      path: '/{id}',
      summary: 'Change an asset (placed buildings keep the licence snapshot of their placement)',
      request: { params: AssetIdParamSchema, body: jsonBody(UpdateAssetBodySchema) },
      responses: {
        200: jsonResponse(AssetSchema, 'The updated asset'),
        400: errorResponseSpec('Unknown or invalid field'),
        404: notFound,
        409: errorResponseSpec('The asset_name is taken'),
      },
    }),
    async (c) =>
      c.json(
        await updateAsset(nexus(c).db, {
          actor: identityOf(c),
          asset_id: c.req.valid('param').id,
          changes: c.req.valid('json'),
        }),
        200,
      ),
  )
  .openapi(
    adminRoute({
      method: 'delete',
      path: '/{id}',
      summary: 'Delete an asset nothing refers to (else deactivate it)',
      request: { params: AssetIdParamSchema },
      responses: {
        204: { description: 'Deleted' },
        404: notFound,
        409: errorResponseSpec('Buildings, usage records or items refer to it (counts in details)'),
      },
    }),
    async (c) => {
      await deleteAsset(nexus(c).db, { actor: identityOf(c), asset_id: c.req.valid('param').id })
      return c.body(null, 204)
    },
  )
