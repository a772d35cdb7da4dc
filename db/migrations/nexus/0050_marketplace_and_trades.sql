-- Marketplace and trades (issue 13): escrow held by each listing's and trade's own row, the house
-- account that collects marketplace fees, and the time a visitor last connected to an instance's
-- live room (where trade events are delivered). Valid on PostgreSQL 15 and later; needs no
-- extension. db/README decisions 80-89.

-- The house (decision 80): a real account whose balance receives marketplace fees, so the sum of
-- every balance stays what was minted. A player who already took the name `house` keeps it; the
-- code knows the house by its id only. It starts with nothing (the users trigger gave it 100).
INSERT INTO users (id, username, display_name)
SELECT '00000000-0000-4000-8000-000000000001'::uuid,
       CASE WHEN EXISTS (SELECT 1 FROM users WHERE lower(username) = 'house')
            THEN 'house_00000001' ELSE 'house' END,
       'Marketplace house'
ON CONFLICT (id) DO NOTHING;
UPDATE user_balances SET tokens = 0, total_earned = 0
WHERE user_id = '00000000-0000-4000-8000-000000000001'
  AND NOT EXISTS (SELECT 1 FROM token_transactions
                  WHERE user_id = '00000000-0000-4000-8000-000000000001');

-- Listings (decision 81). `price` is per unit; `quantity` is what was listed and stays;
-- `escrow_quantity` is what the listing row holds now (taken from the seller when it was listed).
-- No API wrote listings before this migration, so no units were ever in escrow: rows that would
-- still be for sale end as cancelled, and rows without a seller or an item are dropped.
DELETE FROM marketplace_listings WHERE seller_id IS NULL OR item_id IS NULL;
UPDATE marketplace_listings SET quantity = 1 WHERE quantity IS NULL;
UPDATE marketplace_listings SET status = 'cancelled'
WHERE status IS NULL OR status NOT IN ('sold', 'cancelled', 'expired');
UPDATE marketplace_listings SET listed_at = now() WHERE listed_at IS NULL;
UPDATE marketplace_listings SET expires_at = listed_at + interval '7 days' WHERE expires_at IS NULL;
UPDATE marketplace_listings SET sold_at = listed_at WHERE status = 'sold' AND sold_at IS NULL;
UPDATE marketplace_listings SET price = 2147483647 / quantity
WHERE price::bigint * quantity > 2147483647;

ALTER TABLE marketplace_listings
  ADD COLUMN escrow_quantity integer NOT NULL DEFAULT 0,
  ALTER COLUMN seller_id SET NOT NULL,
  ALTER COLUMN item_id SET NOT NULL,
  ALTER COLUMN quantity SET NOT NULL,
  ALTER COLUMN status SET NOT NULL,
  ALTER COLUMN listed_at SET NOT NULL,
  ALTER COLUMN expires_at SET NOT NULL,
  ADD CONSTRAINT marketplace_listings_status_check
    CHECK (status IN ('active', 'sold', 'cancelled', 'expired')),
  ADD CONSTRAINT marketplace_listings_escrow_check
    CHECK (escrow_quantity >= 0 AND escrow_quantity <= quantity),
  -- An active listing holds units; a sold or cancelled one none; an expired one may still hold
  -- units its seller's full stack could not take back (the seller reclaims them with DELETE).
  ADD CONSTRAINT marketplace_listings_escrow_status_check
    CHECK (CASE status WHEN 'active' THEN escrow_quantity > 0
                       WHEN 'expired' THEN TRUE
                       ELSE escrow_quantity = 0 END),
  ADD CONSTRAINT marketplace_listings_sold_at_check CHECK (status <> 'sold' OR sold_at IS NOT NULL),
  -- Any purchase's total (price x units) fits the integer balances.
  ADD CONSTRAINT marketplace_listings_total_price_check
    CHECK (price::bigint * quantity <= 2147483647);
-- An insert must say what it holds.
ALTER TABLE marketplace_listings ALTER COLUMN escrow_quantity DROP DEFAULT;

-- Browsing: cheapest first (overall or per item) and newest first, over active listings; the
-- cron finds due listings by expiry; a seller reads their own listings newest first.
CREATE INDEX idx_marketplace_active_price ON marketplace_listings (price, id)
  WHERE status = 'active';
CREATE INDEX idx_marketplace_active_item_price ON marketplace_listings (item_id, price, id)
  WHERE status = 'active';
CREATE INDEX idx_marketplace_active_newest ON marketplace_listings (listed_at DESC, id DESC)
  WHERE status = 'active';
CREATE INDEX idx_marketplace_active_expiry ON marketplace_listings (expires_at)
  WHERE status = 'active';
CREATE INDEX idx_marketplace_seller_listed ON marketplace_listings (seller_id, listed_at DESC, id DESC);

-- Trades (decision 82). The requester's side (`requester_items`, `requester_tokens`) is held by
-- the trade row while `escrow_held`; the swap on accept is one transaction, so `accepted` is never
-- a resting state and is not stored (`completed` is). Before this migration nothing was ever
-- escrowed: trades still open end as cancelled, and rows without two distinct parties are dropped.
DELETE FROM trade_requests
WHERE requester_id IS NULL OR recipient_id IS NULL OR requester_id = recipient_id;
UPDATE trade_requests SET status = 'cancelled'
WHERE status IS NULL OR status NOT IN ('completed', 'declined', 'cancelled', 'expired');
UPDATE trade_requests SET requester_items = '[]'::jsonb
WHERE requester_items IS NULL OR jsonb_typeof(requester_items) <> 'array';
UPDATE trade_requests SET recipient_items = '[]'::jsonb
WHERE recipient_items IS NULL OR jsonb_typeof(recipient_items) <> 'array';
UPDATE trade_requests SET requester_tokens = greatest(coalesce(requester_tokens, 0), 0),
                          recipient_tokens = greatest(coalesce(recipient_tokens, 0), 0);
UPDATE trade_requests SET created_at = now() WHERE created_at IS NULL;
UPDATE trade_requests SET expires_at = created_at + interval '1 hour' WHERE expires_at IS NULL;
UPDATE trade_requests SET completed_at = created_at
WHERE status = 'completed' AND completed_at IS NULL;

ALTER TABLE trade_requests
  ADD COLUMN escrow_held boolean NOT NULL DEFAULT false,
  ALTER COLUMN requester_id SET NOT NULL,
  ALTER COLUMN recipient_id SET NOT NULL,
  ALTER COLUMN status SET NOT NULL,
  ALTER COLUMN requester_items SET NOT NULL,
  ALTER COLUMN recipient_items SET NOT NULL,
  ALTER COLUMN requester_tokens SET NOT NULL,
  ALTER COLUMN recipient_tokens SET NOT NULL,
  ALTER COLUMN created_at SET NOT NULL,
  ALTER COLUMN expires_at SET NOT NULL,
  ADD CONSTRAINT trade_requests_status_check
    CHECK (status IN ('pending', 'completed', 'declined', 'cancelled', 'expired')),
  ADD CONSTRAINT trade_requests_parties_check CHECK (requester_id <> recipient_id),
  ADD CONSTRAINT trade_requests_tokens_check
    CHECK (requester_tokens >= 0 AND recipient_tokens >= 0),
  ADD CONSTRAINT trade_requests_items_check
    CHECK (jsonb_typeof(requester_items) = 'array' AND jsonb_typeof(recipient_items) = 'array'),
  -- A pending trade holds the requester's side; a completed one gave it away; a declined, cancelled
  -- or expired one may still hold it when the requester's full stack could not take it back
  -- (the requester reclaims it with POST /cancel).
  ADD CONSTRAINT trade_requests_escrow_status_check
    CHECK (CASE status WHEN 'pending' THEN escrow_held
                       WHEN 'completed' THEN NOT escrow_held
                       ELSE TRUE END),
  ADD CONSTRAINT trade_requests_completed_at_check
    CHECK (status <> 'completed' OR completed_at IS NOT NULL);

CREATE INDEX idx_trade_requests_recipient ON trade_requests (recipient_id, created_at DESC, id DESC);
CREATE INDEX idx_trade_requests_requester ON trade_requests (requester_id, created_at DESC, id DESC);
CREATE INDEX idx_trade_requests_pending_expiry ON trade_requests (expires_at)
  WHERE status = 'pending';

-- A listing's purchases and a trade's movements are found by the row they reference; a buyer's
-- purchases are read newest first.
CREATE INDEX idx_transactions_reference ON transactions (reference_id)
  WHERE reference_id IS NOT NULL;
CREATE INDEX idx_transactions_purchases_to_user ON transactions (to_user, "timestamp" DESC, id DESC)
  WHERE transaction_type = 'purchase';

-- Live trade events (decision 86): the Worker stamps a visitor's row when it lets them into the
-- instance's live room, before answering the upgrade; an offer is sent to the rooms a player
-- connected to most recently. Leaving or being removed deletes the row, and the stamp with it.
ALTER TABLE instance_visitors ADD COLUMN last_connected_at timestamptz;
CREATE INDEX idx_instance_visitors_user_connected
  ON instance_visitors (user_id, last_connected_at DESC) WHERE last_connected_at IS NOT NULL;
