/**
 * `/v1/instances/:id/buildings`, a router nested in the instances router (which owns
 * `/v1/instances`). Every committed placement, move and removal is pushed to the instance's live
 * room (`building_changed` notice → a `building` event in each player's next batch).
 */
import type { Context } from 'hono'
import type {
  BuildingSnapshot,
  BuildingChange,
} from '../../durable-objects/instance-room/buildings'
import { roomGateway } from '../instances/room-gateway'
import { identityOf } from '../lib/auth'
import type { AppEnv } from '../lib/context'
import { nexus } from '../lib/db'
import { IdempotencyHeaderSchema, idempotencyKeyOf, runIdempotent } from '../lib/idempotency'
import {
  authRoutes,
  createNestedRouter,
  errorResponseSpec,
  jsonBody,
  jsonResponse,
} from '../lib/openapi'
import {
  BuildingParamSchema,
  BuildingSchema,
  BuildingsPageSchema,
  InstanceParamSchema,
  ListBuildingsQuerySchema,
  PlaceBuildingBodySchema,
  UpdateBuildingBodySchema,
} from './schemas'
import {
  getBuilding,
  listBuildings,
  placeBuilding,
  removeBuilding,
  updateBuilding,
} from './service'

const route = authRoutes({ tags: ['buildings'] })
const instanceNotFound = errorResponseSpec('No such instance, or a private one you may not see')
const buildingNotFound = errorResponseSpec('No such instance or building')

/** Tells the instance's live room (a failed notice is logged; the change stands). */
const tellRoom = (c: Context<AppEnv>, change: BuildingChange, building: BuildingSnapshot) =>
  roomGateway(c).notify(building.instance_id, { type: 'building_changed', change, building })

export const buildingsRouter = createNestedRouter()
  .openapi(
    route({
      method: 'post',
      path: '/{id}/buildings',
      summary: 'Place a building item of yours into the instance',
      description:
        'One unit of `item_id` (a `building` or `decoration` item) leaves your inventory. Needs `can_build` here (hosts always), a position inside the instance’s bounds, and, for an item built from a registry asset, that asset’s licence check. Service tokens place for a deity with `placed_by_companion` (an `item_id` or `asset_id`; no unit is taken). An Idempotency-Key is optional; with one, a retry replays the first answer and places nothing.',
      request: {
        params: InstanceParamSchema,
        headers: IdempotencyHeaderSchema.partial(),
        body: jsonBody(PlaceBuildingBodySchema),
      },
      responses: {
        201: jsonResponse(BuildingSchema, 'Placed'),
        400: errorResponseSpec('Invalid body, or a position outside the instance'),
        403: errorResponseSpec(
          'You may not build here, or the asset’s licence refuses you (`details.refusals`)',
        ),
        404: errorResponseSpec('No such instance (or a private one), or no such item'),
        409: errorResponseSpec(
          '`details.reason`: `insufficient_quantity` (you hold none), `not_placeable`, `no_model`, `instance_full`',
        ),
        422: errorResponseSpec('Idempotency-Key reused with a different request'),
      },
    }),
    async (c) => {
      const actor = identityOf(c)
      const { id } = c.req.valid('param')
      const body = c.req.valid('json')
      let placed: BuildingSnapshot | undefined
      const response = await runIdempotent(
        c,
        nexus(c).db,
        { userId: actor.userId, key: idempotencyKeyOf(c, false), request: body },
        async (tx) => {
          placed = await placeBuilding(tx, { actor, instance_id: id, ...body })
          return { status: 201, body: placed }
        },
      )
      // Set only when this request's effect ran and committed: a replay or a refusal tells no one.
      if (placed) await tellRoom(c, 'placed', placed)
      return response
    },
  )
  .openapi(
    route({
      method: 'get',
      path: '/{id}/buildings',
      summary: 'The buildings of an instance, oldest first, with the version the page reflects',
      request: { params: InstanceParamSchema, query: ListBuildingsQuerySchema },
      responses: {
        200: jsonResponse(BuildingsPageSchema, 'A page of buildings'),
        400: errorResponseSpec('Invalid filter, limit or cursor'),
        404: instanceNotFound,
      },
    }),
    async (c) =>
      c.json(
        await listBuildings(nexus(c).db, {
          actor: identityOf(c),
          instance_id: c.req.valid('param').id,
          ...c.req.valid('query'),
        }),
        200,
      ),
  )
  .openapi(
    route({
      method: 'get',
      path: '/{id}/buildings/{building_id}',
      summary: 'One building',
      request: { params: BuildingParamSchema },
      responses: { 200: jsonResponse(BuildingSchema, 'The building'), 404: buildingNotFound },
    }),
    async (c) => {
      const { id, building_id } = c.req.valid('param')
      return c.json(
        await getBuilding(nexus(c).db, { actor: identityOf(c), instance_id: id, building_id }),
        200,
      )
    },
  )
  .openapi(
    route({
      method: 'patch',
      path: '/{id}/buildings/{building_id}',
      summary: 'Move, rename or re-configure a building (its owner, or can_modify_buildings)',
      request: { params: BuildingParamSchema, body: jsonBody(UpdateBuildingBodySchema) },
      responses: {
        200: jsonResponse(BuildingSchema, 'The building after the change'),
        400: errorResponseSpec('Invalid body, or a position outside the instance'),
        403: errorResponseSpec('Not its owner, and no can_modify_buildings here'),
        404: buildingNotFound,
      },
    }),
    async (c) => {
      const { id, building_id } = c.req.valid('param')
      const building = await updateBuilding(nexus(c).db, {
        actor: identityOf(c),
        instance_id: id,
        building_id,
        changes: c.req.valid('json'),
      })
      await tellRoom(c, 'moved', building)
      return c.json(building, 200)
    },
  )
  .openapi(
    route({
      method: 'delete',
      path: '/{id}/buildings/{building_id}',
      summary: 'Remove a building; its unit returns to the owner’s inventory',
      description:
        'By its owner (also after losing access to the instance), visitors with can_modify_buildings, hosts, admins and services. Refused with 409 `stack_full` when the owner’s stack of the item has no room for the unit: nothing is destroyed.',
      request: { params: BuildingParamSchema },
      responses: {
        204: { description: 'Removed' },
        403: errorResponseSpec('Not its owner, and no can_modify_buildings here'),
        404: buildingNotFound,
        409: errorResponseSpec('The owner’s stack is full (`details.reason`: `stack_full`)'),
      },
    }),
    async (c) => {
      const { id, building_id } = c.req.valid('param')
      const building = await removeBuilding(nexus(c).db, {
        actor: identityOf(c),
        instance_id: id,
        building_id,
      })
      await tellRoom(c, 'removed', building)
      return c.body(null, 204)
    },
  )
