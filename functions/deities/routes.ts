/** `/v1/deities`: the deities with your lock state, and your bond with one of their blessings. */
import { identityOf } from '../lib/auth'
import { nexus } from '../lib/db'
import { authRoutes, createRouter, errorResponseSpec, jsonBody, jsonResponse } from '../lib/openapi'
import {
  ActiveBondSchema,
  BondBodySchema,
  BondSchema,
  DeityIdParamSchema,
  DeityListSchema,
  DeitySchema,
} from './schemas'
import { bondWithDeity, endBond, getActiveBond, getDeity, listDeities } from './service'

const route = authRoutes({ tags: ['deities'] })

// `/bond` is declared before `/{id}` so it is never read as a deity id.
export const deitiesRouter = createRouter({ auth: true })
  .openapi(
    route({
      method: 'get',
      path: '/',
      summary: 'The deities you can see, each with its blessings and its lock state for you',
      description:
        'Ring deities unlock by akashic rank; hidden deities (Thoth: 13 akashic tablets, Bob: a special unlock) appear once you have discovered or unlocked them.',
      responses: { 200: jsonResponse(DeityListSchema, 'The deities') },
    }),
    async (c) => c.json(await listDeities(nexus(c).db, { actor: identityOf(c) }), 200),
  )
  .openapi(
    route({
      method: 'get',
      path: '/bond',
      summary: 'Your active bond: the deity, the blessing and its bonuses amplified by your faith',
      responses: { 200: jsonResponse(ActiveBondSchema, 'Your bond, or null') },
    }),
    async (c) => c.json(await getActiveBond(nexus(c).db, { actor: identityOf(c) }), 200),
  )
  .openapi(
    route({
      method: 'delete',
      path: '/bond',
      summary: 'End your active bond',
      responses: {
        200: jsonResponse(ActiveBondSchema, 'The ended bond'),
        404: errorResponseSpec('You have no active bond'),
      },
    }),
    async (c) => c.json(await endBond(nexus(c).db, { actor: identityOf(c) }), 200),
  )
  .openapi(
    route({
      method: 'get',
      path: '/{id}',
      summary: 'One deity with its blessings and its lock state for you',
      request: { params: DeityIdParamSchema },
      responses: {
        200: jsonResponse(DeitySchema, 'The deity'),
        400: errorResponseSpec('Not a deity id'),
        404: errorResponseSpec('No such deity (or a hidden one you have not found)'),
      },
    }),
    async (c) =>
      c.json(
        await getDeity(nexus(c).db, { actor: identityOf(c), deity_id: c.req.valid('param').id }),
        200,
      ),
  )
  .openapi(
    route({
      method: 'post',
      path: '/{id}/bond',
      summary: "Bond with one of a deity's blessings (ends any other active bond)",
      request: { params: DeityIdParamSchema, body: jsonBody(BondBodySchema) },
      responses: {
        200: jsonResponse(
          ActiveBondSchema.extend({ bond: BondSchema }),
          'Already bonded with that blessing',
        ),
        201: jsonResponse(ActiveBondSchema.extend({ bond: BondSchema }), 'Bonded'),
        400: errorResponseSpec('Invalid id or body'),
        403: errorResponseSpec('The deity is locked for you (details.lock says why)'),
        404: errorResponseSpec('No such deity or blessing of it'),
      },
    }),
    async (c) => {
      const { created, bond } = await bondWithDeity(nexus(c).db, {
        actor: identityOf(c),
        deity_id: c.req.valid('param').id,
        ...c.req.valid('json'),
      })
      return created ? c.json({ bond }, 201) : c.json({ bond }, 200)
    },
  )
