-- Items and inventories (issue 12): the stack limit held by the database, unique inventory slots,
-- the flags item movement depends on made NOT NULL, and the users operators allow to create items.
-- Valid on PostgreSQL 15 and later; needs no extension.

-- Gifts read is_tradeable, consumption is_consumable, every grant max_stack_size: a NULL would be
-- neither yes nor no (db/README decision 60).
UPDATE items SET is_tradeable = TRUE WHERE is_tradeable IS NULL;
UPDATE items SET is_consumable = FALSE WHERE is_consumable IS NULL;
UPDATE items SET max_stack_size = 1 WHERE max_stack_size IS NULL OR max_stack_size < 1;
ALTER TABLE items ALTER COLUMN is_tradeable SET NOT NULL;
ALTER TABLE items ALTER COLUMN is_consumable SET NOT NULL;
ALTER TABLE items ALTER COLUMN max_stack_size SET NOT NULL;
ALTER TABLE items ADD CONSTRAINT items_max_stack_size_check CHECK (max_stack_size >= 1);

-- The catalogue is listed by name (keyset on (name, id)).
CREATE INDEX idx_items_name_id ON items (name, id);

-- A slot holds one stack (decision 61).
ALTER TABLE inventories ADD CONSTRAINT inventories_slot_position_check CHECK (slot_position >= 0);
CREATE UNIQUE INDEX inventories_user_slot_unique ON inventories (user_id, slot_position)
  WHERE slot_position IS NOT NULL;

-- A stack never holds more than its item's max_stack_size (decision 62). Only growth is checked:
-- lowering an item's limit keeps what players already hold, and taking units out of an
-- over-limit stack stays possible. The API checks first and answers 409; this is the last line.
CREATE OR REPLACE FUNCTION enforce_inventory_stack_limit() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  v_max integer;
BEGIN
  IF TG_OP = 'UPDATE' AND NEW.item_id = OLD.item_id AND NEW.quantity <= OLD.quantity THEN
    RETURN NEW;
  END IF;
  SELECT max_stack_size INTO v_max FROM items WHERE id = NEW.item_id;
  IF FOUND AND NEW.quantity > v_max THEN
    RAISE EXCEPTION 'a stack of item % would hold % units, more than its max_stack_size %',
      NEW.item_id, NEW.quantity, v_max
      USING ERRCODE = 'check_violation', CONSTRAINT = 'inventories_max_stack_size';
  END IF;
  RETURN NEW;
END;
$$;

CREATE TRIGGER trigger_enforce_inventory_stack_limit
  BEFORE INSERT OR UPDATE OF quantity, item_id ON inventories
  FOR EACH ROW EXECUTE FUNCTION enforce_inventory_stack_limit();

-- Users the operators allow to create catalogue items (decision 63).
CREATE TABLE item_creators (
  user_id uuid PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
  granted_by uuid REFERENCES users(id) ON DELETE SET NULL,
  granted_at timestamptz NOT NULL DEFAULT now()
);

-- An item's audit history is read per user (from_user or to_user), newest first.
CREATE INDEX idx_transactions_to_user ON transactions (to_user, "timestamp" DESC);
CREATE INDEX idx_transactions_from_user ON transactions (from_user, "timestamp" DESC);
