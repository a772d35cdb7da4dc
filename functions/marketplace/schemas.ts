/** The marketplace: request and response schemas (snake_case). */
import { z } from '@hono/zod-openapi'
import { LISTING_STATUSES } from '../../db/schema/nexus'
import { ItemSchema, ItemTypeSchema, RaritySchema } from '../items/schemas'
import { QuantitySchema } from '../inventory/schemas'
import { idSchema } from '../lib/ids'
import {
  cursorParam,
  LimitSchema,
  TimestampIdCursorSchema,
  TimestampIdPageQuerySchema,
} from '../lib/pagination'

/** The largest price of one unit. */
export const MAX_UNIT_PRICE = 1_000_000_000
/** The largest total of a listing (price × quantity): every purchase fits an integer balance. */
export const MAX_LISTING_TOTAL = 2_147_483_647

const PriceSchema = z
  .number({ error: 'price must be a number' })
  .int({ error: 'price must be a whole number of tokens' })
  .min(1, { error: 'price must be at least 1' })
  .max(MAX_UNIT_PRICE, { error: `price must be at most ${MAX_UNIT_PRICE}` })

export const CreateListingBodySchema = z
  .strictObject({
    item_id: idSchema('item_id'),
    quantity: QuantitySchema.default(1),
    price: PriceSchema.openapi({ description: 'Tokens per unit' }),
  })
  .refine((body) => body.price * body.quantity <= MAX_LISTING_TOTAL, {
    error: `price × quantity must be at most ${MAX_LISTING_TOTAL}`,
    path: ['price'],
  })
  .openapi('CreateListingBody')

export type CreateListingBody = z.infer<typeof CreateListingBodySchema>

export const PurchaseBodySchema = z
  .strictObject({ quantity: QuantitySchema.default(1) })
  .openapi('PurchaseBody')

export const ListingStatusSchema = z.enum(LISTING_STATUSES)

export const ListingSchema = z
  .object({
    id: z.uuid(),
    seller_id: z.uuid(),
    item_id: z.uuid(),
    item: ItemSchema,
    price: z.number().int().openapi({ description: 'Tokens per unit' }),
    quantity: z.number().int().openapi({ description: 'Units listed' }),
    quantity_available: z.number().int().openapi({ description: 'Units that can be bought now' }),
    escrow_quantity: z
      .number()
      .int()
      .openapi({ description: 'Units the listing holds (taken from the seller when listed)' }),
    status: ListingStatusSchema,
    listed_at: z.string().nullable(),
    expires_at: z.string().nullable(),
    sold_at: z.string().nullable(),
    buyer_id: z
      .uuid()
      .nullable()
      .openapi({ description: 'The last buyer (shown to the seller, that buyer and staff)' }),
  })
  .openapi('MarketplaceListing')

export const PurchaseSchema = z
  .object({
    id: z.uuid().openapi({ description: 'The `transactions` row of the purchase' }),
    listing_id: z.uuid(),
    seller_id: z.uuid(),
    buyer_id: z.uuid(),
    item_id: z.uuid(),
    quantity: z.number().int(),
    unit_price: z.number().int(),
    total_price: z.number().int().openapi({ description: 'Tokens the buyer paid' }),
    fee: z.number().int().openapi({ description: 'Tokens of the total the house kept' }),
    seller_received: z.number().int(),
    purchased_at: z.string().nullable(),
  })
  .openapi('MarketplacePurchase')

/** A purchase's answer to the buyer: the purchase, the listing after it, the buyer's balance. */
export const PurchaseResultSchema = PurchaseSchema.extend({
  listing: ListingSchema,
  balance: z.object({ tokens: z.number().int() }),
}).openapi('MarketplacePurchaseResult')

export const ListingIdParamSchema = z.object({ id: idSchema('id') })

/** Orders of the browse list. */
export const LISTING_SORTS = ['price', 'newest'] as const

/** The sort key of the cheapest-first order. */
const PriceCursorSchema = z.strictObject({ p: z.int().min(1), id: z.uuid() })
/** A browse cursor: either order's key (the query checks it matches `sort`). */
const BrowseCursorSchema = z.union([PriceCursorSchema, TimestampIdCursorSchema.strict()])

const priceQuery = (name: string) =>
  z.coerce
    .number({ error: `${name} must be a number` })
    .int()
    .min(1)
    .max(MAX_UNIT_PRICE)
    .optional()

export const BrowseListingsQuerySchema = z
  .object({
    limit: LimitSchema,
    cursor: cursorParam(BrowseCursorSchema),
    sort: z
      .enum(LISTING_SORTS)
      .default('price')
      .openapi({ description: '`price`: cheapest first (default); `newest`: newest first' }),
    item_id: idSchema('item_id').optional(),
    seller_id: idSchema('seller_id').optional(),
    type: ItemTypeSchema.optional(),
    rarity: RaritySchema.optional(),
    min_price: priceQuery('min_price').openapi({ description: 'Lowest unit price' }),
    max_price: priceQuery('max_price').openapi({ description: 'Highest unit price' }),
  })
  .superRefine((query, ctx) => {
    // zod runs this even when a field failed (its value is then the raw input): look before using.
    const cursor: unknown = query.cursor
    const priceCursor = typeof cursor === 'object' && cursor !== null && 'p' in cursor
    if (typeof cursor === 'object' && cursor !== null && priceCursor !== (query.sort === 'price')) {
      ctx.addIssue({
        code: 'custom',
        path: ['cursor'],
        message: 'the cursor is not valid for this list',
      })
    }
    const { min_price: low, max_price: high } = query
    if (typeof low === 'number' && typeof high === 'number' && low > high) {
      ctx.addIssue({
        code: 'custom',
        path: ['max_price'],
        message: 'max_price must not be below min_price',
      })
    }
  })

export type BrowseListingsQuery = z.infer<typeof BrowseListingsQuerySchema>

export const MyListingsQuerySchema = TimestampIdPageQuerySchema.extend({
  status: ListingStatusSchema.optional(),
})
