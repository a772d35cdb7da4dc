/**
 * Akashic progression: the essence award audit trail (written by `award_akashic_essence`).
 * Essence totals, rank and title live on `users`.
 */
import { sql } from 'drizzle-orm'
import { check, index, integer, jsonb, pgTable, uuid, varchar } from 'drizzle-orm/pg-core'
import { timestamptz } from '../columns'
import { users } from './users'

/** One row per non-zero essence amount awarded. */
export const akashicTransactions = pgTable(
  'akashic_transactions',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id),
    transactionType: varchar('transaction_type', { length: 50 }).notNull(),
    essenceType: varchar('essence_type', { length: 20 }),
    amount: integer('amount').notNull(),
    sourceId: uuid('source_id'),
    sourceType: varchar('source_type', { length: 50 }),
    metadata: jsonb('metadata').default({}),
    createdAt: timestamptz('created_at').defaultNow(),
  },
  (t) => [
    index('idx_akashic_transactions_user').on(t.userId, t.createdAt.desc().nullsFirst()),
    index('idx_akashic_transactions_type').on(t.transactionType),
    // Keyset pages of a user's history (0022).
    index('idx_akashic_transactions_user_page').on(
      t.userId,
      t.createdAt.desc().nullsFirst(),
      t.id.desc().nullsFirst(),
    ),
    // The seed's vocabulary plus 'manual' for operator adjustments (0022).
    check(
      'akashic_transactions_transaction_type_check',
      sql`${t.transactionType} IN ('quest_completion', 'donation', 'token_collection', 'passive_income', 'manual')`,
    ),
  ],
)

/** An essence award audit row. */
export type AkashicTransaction = typeof akashicTransactions.$inferSelect
/** Values for inserting an essence award audit row. */
export type NewAkashicTransaction = typeof akashicTransactions.$inferInsert
