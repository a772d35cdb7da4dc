/**
 * `/v1/assets`: the asset registry (list, one asset with its attribution, the most placed, and
 * the caller's licence check).
 */
import { identityOf } from '../lib/auth'
import { nexus } from '../lib/db'
import { authRoutes, createRouter, errorResponseSpec, jsonResponse } from '../lib/openapi'
import { pageSchema } from '../lib/pagination'
import {
  AssetIdParamSchema,
  AssetInfoSchema,
  AssetSchema,
  LicenseCheckSchema,
  ListAssetsQuerySchema,
  PopularAssetSchema,
  PopularAssetsQuerySchema,
} from './schemas'
import { checkLicenseFor, getAssetInfo, listAssets, popularAssets } from './service'

const route = authRoutes({ tags: ['assets'] })
const notFound = errorResponseSpec('No asset with that id')

export const assetsRouter = createRouter({ auth: true })
  .openapi(
    route({
      method: 'get',
      path: '/',
      summary: 'Active assets by name, filtered by category, licence, tag or text',
      request: { query: ListAssetsQuerySchema },
      responses: {
        200: jsonResponse(pageSchema(AssetSchema), 'A page of assets'),
        400: errorResponseSpec('Invalid filter, limit or cursor'),
        403: errorResponseSpec('`include_inactive` is for admins'),
      },
    }),
    async (c) =>
      c.json(await listAssets(nexus(c).db, { actor: identityOf(c), ...c.req.valid('query') }), 200),
  )
  // Before `/{id}`, so `popular` is not read as an id.
  .openapi(
    route({
      method: 'get',
      path: '/popular',
      summary: 'Most placed active assets (`popular_assets`), with distinct placers',
      request: { query: PopularAssetsQuerySchema },
      responses: {
        200: jsonResponse(pageSchema(PopularAssetSchema), 'A page of assets, most placed first'),
        400: errorResponseSpec('Invalid limit or cursor'),
      },
    }),
    async (c) =>
      c.json(
        await popularAssets(nexus(c).db, { actor: identityOf(c), ...c.req.valid('query') }),
        200,
      ),
  )
  .openapi(
    route({
      method: 'get',
      path: '/{id}',
      summary: 'One asset with its attribution line (`get_asset_info`)',
      description:
        'Deactivated assets are answered too: placed buildings still show their attribution.',
      request: { params: AssetIdParamSchema },
      responses: { 200: jsonResponse(AssetInfoSchema, 'The asset'), 404: notFound },
    }),
    async (c) =>
      c.json(
        await getAssetInfo(nexus(c).db, {
          actor: identityOf(c),
          asset_id: c.req.valid('param').id,
        }),
        200,
      ),
  )
  .openapi(
    route({
      method: 'get',
      path: '/{id}/license-check',
      summary: 'Whether you may use (place) this asset, and why not',
      description:
        '`check_asset_license` for you, plus every rule you fail in `refusals`: `inactive`, `owner_only` (someone else’s `user_owned` asset), `premium_required`, `level_required` (your akashic rank is below `min_user_level`), `quest_required` (no verified completion of a quest that rewards the asset).',
      request: { params: AssetIdParamSchema },
      responses: { 200: jsonResponse(LicenseCheckSchema, 'The check'), 404: notFound },
    }),
    async (c) =>
      c.json(
        await checkLicenseFor(nexus(c).db, {
          actor: identityOf(c),
          asset_id: c.req.valid('param').id,
        }),
        200,
      ),
  )
