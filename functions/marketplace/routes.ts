/**
 * `/v1/marketplace`: listings (create, browse, read, your own, cancel), purchases (buy, your
 * purchases). Escrow, fees and expiry: `service.ts`.
 */
import { tokenPolicyOf } from '../economy/policy'
import { identityOf } from '../lib/auth'
import { nexus } from '../lib/db'
import { getConfig } from '../lib/env'
import {
  answeredStatus,
  IdempotencyHeaderSchema,
  idempotencyKeyOf,
  runIdempotent,
} from '../lib/idempotency'
import { describeError } from '../lib/logger'
import { authRoutes, createRouter, errorResponseSpec, jsonBody, jsonResponse } from '../lib/openapi'
import { pageSchema, TimestampIdPageQuerySchema } from '../lib/pagination'
import {
  BrowseListingsQuerySchema,
  CreateListingBodySchema,
  ListingIdParamSchema,
  ListingSchema,
  MyListingsQuerySchema,
  PurchaseBodySchema,
  PurchaseResultSchema,
  PurchaseSchema,
} from './schemas'
import {
  browseListings,
  cancelListing,
  createListing,
  expireListingIfDue,
  getListing,
  listMyListings,
  listMyPurchases,
  purchaseListing,
} from './service'

const route = authRoutes({ tags: ['marketplace'] })
const replayed = errorResponseSpec('Idempotency-Key reused with a different request')

export const marketplaceRouter = createRouter({ auth: true })
  .openapi(
    route({
      method: 'post',
      path: '/listings',
      summary: 'List units of a tradeable item of yours for sale (they go into escrow)',
      description:
        '`price` is per unit. The units leave your inventory into the listing in the same transaction and come back when you cancel it or it expires (7 days). Needs an Idempotency-Key: a retry with the same key and body replays the first answer.',
      request: { headers: IdempotencyHeaderSchema, body: jsonBody(CreateListingBodySchema) },
      responses: {
        201: jsonResponse(ListingSchema, 'Listed'),
        400: errorResponseSpec(
          'Invalid body (price × quantity too large) or missing Idempotency-Key',
        ),
        404: errorResponseSpec('No item with that id'),
        409: errorResponseSpec(
          '`details.reason`: `insufficient_quantity`, `not_tradeable` or `listing_limit`',
        ),
        422: replayed,
      },
    }),
    async (c) => {
      const actor = identityOf(c)
      const body = c.req.valid('json')
      return runIdempotent(
        c,
        nexus(c).db,
        { userId: actor.userId, key: idempotencyKeyOf(c, true), request: body },
        async (tx) => ({ status: 201, body: await createListing(tx, { actor, ...body }) }),
      )
    },
  )
  .openapi(
    route({
      method: 'get',
      path: '/listings',
      summary: 'What is for sale now, cheapest first (or newest first)',
      request: { query: BrowseListingsQuerySchema },
      responses: {
        200: jsonResponse(pageSchema(ListingSchema), 'A page of active listings'),
        400: errorResponseSpec('Invalid filter, sort, limit or cursor'),
      },
    }),
    async (c) =>
      c.json(
        await browseListings(nexus(c).db, { actor: identityOf(c), ...c.req.valid('query') }),
        200,
      ),
  )
  .openapi(
    route({
      method: 'get',
      path: '/listings/mine',
      summary: 'Your listings (every status), newest first',
      request: { query: MyListingsQuerySchema },
      responses: {
        200: jsonResponse(pageSchema(ListingSchema), 'A page of your listings'),
        400: errorResponseSpec('Invalid status, limit or cursor'),
      },
    }),
    async (c) =>
      c.json(
        await listMyListings(nexus(c).db, { actor: identityOf(c), ...c.req.valid('query') }),
        200,
      ),
  )
  .openapi(
    route({
      method: 'get',
      path: '/listings/{id}',
      summary: 'One listing (any status)',
      request: { params: ListingIdParamSchema },
      responses: {
        200: jsonResponse(ListingSchema, 'The listing'),
        404: errorResponseSpec('No listing with that id'),
      },
    }),
    async (c) =>
      c.json(
        await getListing(nexus(c).db, {
          actor: identityOf(c),
          listing_id: c.req.valid('param').id,
        }),
        200,
      ),
  )
  .openapi(
    route({
      method: 'delete',
      path: '/listings/{id}',
      summary: 'End your listing: what is left in escrow returns to your inventory',
      description:
        'An active listing becomes `cancelled`; an expired one whose units are still in escrow (your stack had no room when it expired) gives them back. An Idempotency-Key is optional.',
      request: { params: ListingIdParamSchema, headers: IdempotencyHeaderSchema.partial() },
      responses: {
        200: jsonResponse(ListingSchema, 'The listing after it ended'),
        403: errorResponseSpec('Not your listing'),
        404: errorResponseSpec('No listing with that id'),
        409: errorResponseSpec(
          '`details.reason`: `stack_full` (make room first), or `listing_sold` / `listing_cancelled` / `listing_expired` (nothing left to return)',
        ),
        422: replayed,
      },
    }),
    async (c) => {
      const actor = identityOf(c)
      const listingId = c.req.valid('param').id
      return runIdempotent(
        c,
        nexus(c).db,
        { userId: actor.userId, key: idempotencyKeyOf(c, false), request: null },
        async (tx) => ({
          status: 200,
          body: await cancelListing(tx, { actor, listing_id: listingId }),
        }),
      )
    },
  )
  .openapi(
    route({
      method: 'post',
      path: '/listings/{id}/purchase',
      summary: 'Buy units of a listing',
      description:
        'Tokens go from you to the seller (less the marketplace fee, which goes to the house), units from the listing’s escrow to you, in one transaction. Partial purchases of a multi-unit listing are allowed. Needs an Idempotency-Key: a retry with the same key and body replays the first answer byte for byte and moves nothing. Buying moves tokens to another player, so the outbound rules for new accounts apply (README, "Abuse limits").',
      request: {
        params: ListingIdParamSchema,
        headers: IdempotencyHeaderSchema,
        body: jsonBody(PurchaseBodySchema),
      },
      responses: {
        201: jsonResponse(PurchaseResultSchema, 'Bought'),
        400: errorResponseSpec('Invalid quantity or missing Idempotency-Key'),
        403: errorResponseSpec(
          'Your own listing (`own_listing`), or your account is too new to send tokens (`account_too_new`)',
        ),
        404: errorResponseSpec('No listing with that id'),
        409: errorResponseSpec(
          '`insufficient_funds`, or `conflict` with `details.reason`: `listing_sold`, `listing_cancelled`, `listing_expired`, `insufficient_quantity` (fewer units left), `stack_full` (yours)',
        ),
        422: replayed,
        429: errorResponseSpec('A new account’s daily outbound cap is reached; see Retry-After'),
      },
    }),
    async (c) => {
      const actor = identityOf(c)
      const listingId = c.req.valid('param').id
      const body = c.req.valid('json')
      const config = getConfig(c.env)
      const db = nexus(c).db
      const response = await runIdempotent(
        c,
        db,
        { userId: actor.userId, key: idempotencyKeyOf(c, true), request: body },
        async (tx) => ({
          status: 201,
          body: await purchaseListing(tx, {
            actor,
            listing_id: listingId,
            quantity: body.quantity,
            policy: tokenPolicyOf(config),
            fee_percent: config.MARKETPLACE_FEE_PERCENT,
          }),
        }),
      )
      // A refused purchase may have met an expired listing: end it now (its escrow goes home).
      if (answeredStatus(response) === 409) {
        await expireListingIfDue(db, listingId).catch((error) =>
          c.var.log.warn('lazy listing expiry failed', {
            listing_id: listingId,
            ...describeError(error),
          }),
        )
      }
      return response
    },
  )
  .openapi(
    route({
      method: 'get',
      path: '/purchases',
      summary: 'Your purchases, newest first',
      request: { query: TimestampIdPageQuerySchema },
      responses: {
        200: jsonResponse(pageSchema(PurchaseSchema), 'A page of your purchases'),
        400: errorResponseSpec('Invalid limit or cursor'),
      },
    }),
    async (c) =>
      c.json(
        await listMyPurchases(nexus(c).db, { actor: identityOf(c), ...c.req.valid('query') }),
        200,
      ),
  )
