-- Progression awards (db/README decisions 55-58): the seed's transaction-type vocabulary for
-- essence awards, attributes that never go below zero, Thoth unlocked exactly once by the 13th
-- distinct tablet, Bob unlocked by his discovery, and keyset indexes for the histories.
-- Valid on PostgreSQL 15 and later; needs no extension.

-- 1. Essence awards carry a transaction type of the seed's vocabulary, separate from the source.
-- award_akashic_essence gains a last parameter p_transaction_type; the seed's 8-argument calls keep
-- working (it defaults to NULL, and a NULL type is derived from p_source_type).
UPDATE akashic_transactions SET transaction_type = CASE
    WHEN transaction_type IN ('quest', 'challenge', 'quest_completion') THEN 'quest_completion'
    WHEN transaction_type IN ('donation', 'token_collection', 'passive_income') THEN transaction_type
    ELSE 'manual'
  END
WHERE transaction_type NOT IN
  ('quest_completion', 'donation', 'token_collection', 'passive_income', 'manual');

ALTER TABLE akashic_transactions ADD CONSTRAINT akashic_transactions_transaction_type_check
  CHECK (transaction_type IN
    ('quest_completion', 'donation', 'token_collection', 'passive_income', 'manual'));

DROP FUNCTION award_akashic_essence(uuid, integer, integer, integer, integer, varchar, uuid, jsonb);

-- Adds essence to a user and writes one akashic_transactions row per non-zero amount. Returns the
-- new totals, rank and title. An unknown user raises no_data_found (P0002) before anything is
-- written; a type outside the vocabulary fails the CHECK.
CREATE FUNCTION award_akashic_essence(
  p_user_id uuid,
  p_resonance integer DEFAULT 0,
  p_wisdom integer DEFAULT 0,
  p_creativity integer DEFAULT 0,
  p_connection integer DEFAULT 0,
  p_source_type varchar(50) DEFAULT 'manual',
  p_source_id uuid DEFAULT NULL,
  p_metadata jsonb DEFAULT '{}',
  p_transaction_type varchar(50) DEFAULT NULL
) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
  v_user users%ROWTYPE;
  v_type varchar(50) := COALESCE(p_transaction_type, CASE
    WHEN p_source_type IN ('quest', 'challenge', 'quest_completion') THEN 'quest_completion'
    WHEN p_source_type IN ('donation', 'token_collection', 'passive_income') THEN p_source_type
    ELSE 'manual'
  END);
BEGIN
  UPDATE users SET
    akashic_resonance = akashic_resonance + COALESCE(p_resonance, 0),
    akashic_wisdom = akashic_wisdom + COALESCE(p_wisdom, 0),
    akashic_creativity = akashic_creativity + COALESCE(p_creativity, 0),
    akashic_connection = akashic_connection + COALESCE(p_connection, 0),
    akashic_last_updated = now()
  WHERE id = p_user_id
  RETURNING * INTO v_user;

  IF NOT FOUND THEN
    RAISE EXCEPTION 'award_akashic_essence: user % does not exist', p_user_id
      USING ERRCODE = 'no_data_found';
  END IF;

  INSERT INTO akashic_transactions
    (user_id, transaction_type, essence_type, amount, source_id, source_type, metadata)
  SELECT p_user_id, v_type, e.essence, e.amount, p_source_id, p_source_type,
         COALESCE(p_metadata, '{}')
  FROM (VALUES
    ('resonance', p_resonance),
    ('wisdom', p_wisdom),
    ('creativity', p_creativity),
    ('connection', p_connection)
  ) AS e (essence, amount)
  WHERE COALESCE(e.amount, 0) <> 0;

  RETURN jsonb_build_object(
    'user_id', v_user.id,
    'akashic_resonance', v_user.akashic_resonance,
    'akashic_wisdom', v_user.akashic_wisdom,
    'akashic_creativity', v_user.akashic_creativity,
    'akashic_connection', v_user.akashic_connection,
    'akashic_rank', v_user.akashic_rank,
    'akashic_rank_title', v_user.akashic_rank_title
  );
END;
$$;

-- 2. An attribute never goes below zero. Existing negative values are clamped first, each with an
-- audit row, so the constraint can be validated.
INSERT INTO attribute_transactions (user_id, attribute_name, amount_change, source_type, metadata)
SELECT u.id, a.attribute, -a.value, 'manual', '{"reason": "clamped to zero by migration 0022"}'
FROM users u
CROSS JOIN LATERAL (VALUES
  ('strength', u.attr_strength), ('agility', u.attr_agility), ('endurance', u.attr_endurance),
  ('magic', u.attr_magic), ('wisdom', u.attr_wisdom), ('cunning', u.attr_cunning),
  ('leadership', u.attr_leadership), ('faith', u.attr_faith), ('charisma', u.attr_charisma),
  ('creativity', u.attr_creativity), ('artistry', u.attr_artistry),
  ('innovation', u.attr_innovation)
) AS a (attribute, value)
WHERE a.value < 0;

UPDATE users SET
  attr_strength = GREATEST(attr_strength, 0), attr_agility = GREATEST(attr_agility, 0),
  attr_endurance = GREATEST(attr_endurance, 0), attr_magic = GREATEST(attr_magic, 0),
  attr_wisdom = GREATEST(attr_wisdom, 0), attr_cunning = GREATEST(attr_cunning, 0),
  attr_leadership = GREATEST(attr_leadership, 0), attr_faith = GREATEST(attr_faith, 0),
  attr_charisma = GREATEST(attr_charisma, 0), attr_creativity = GREATEST(attr_creativity, 0),
  attr_artistry = GREATEST(attr_artistry, 0), attr_innovation = GREATEST(attr_innovation, 0)
WHERE LEAST(attr_strength, attr_agility, attr_endurance, attr_magic, attr_wisdom, attr_cunning,
            attr_leadership, attr_faith, attr_charisma, attr_creativity, attr_artistry,
            attr_innovation) < 0;

ALTER TABLE users
  ADD CONSTRAINT users_attr_strength_nonnegative CHECK (attr_strength >= 0),
  ADD CONSTRAINT users_attr_agility_nonnegative CHECK (attr_agility >= 0),
  ADD CONSTRAINT users_attr_endurance_nonnegative CHECK (attr_endurance >= 0),
  ADD CONSTRAINT users_attr_magic_nonnegative CHECK (attr_magic >= 0),
  ADD CONSTRAINT users_attr_wisdom_nonnegative CHECK (attr_wisdom >= 0),
  ADD CONSTRAINT users_attr_cunning_nonnegative CHECK (attr_cunning >= 0),
  ADD CONSTRAINT users_attr_leadership_nonnegative CHECK (attr_leadership >= 0),
  ADD CONSTRAINT users_attr_faith_nonnegative CHECK (attr_faith >= 0),
  ADD CONSTRAINT users_attr_charisma_nonnegative CHECK (attr_charisma >= 0),
  ADD CONSTRAINT users_attr_creativity_nonnegative CHECK (attr_creativity >= 0),
  ADD CONSTRAINT users_attr_artistry_nonnegative CHECK (attr_artistry >= 0),
  ADD CONSTRAINT users_attr_innovation_nonnegative CHECK (attr_innovation >= 0);

-- 3. Tablets: users.akashic_tablets_collected mirrors the discoveries, and the 13th distinct
-- tablet unlocks Thoth, exactly once, whoever inserts the rows and however many at once.
CREATE OR REPLACE FUNCTION record_akashic_tablet_discovery() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  v_tablets integer[];
BEGIN
  -- Concurrent discoveries of one user queue on the user row (NO KEY UPDATE does not conflict
  -- with the FOR KEY SHARE lock of the discovery's own foreign-key check, so two discoverers
  -- cannot deadlock). In READ COMMITTED the next statement reads a fresh snapshot, so it sees
  -- every discovery committed before this one: of two transactions adding the 12th and 13th
  -- tablets, the later sees 13 and the earlier did not.
  PERFORM 1 FROM users WHERE id = NEW.user_id FOR NO KEY UPDATE;
  SELECT array_agg(DISTINCT d.tablet_number ORDER BY d.tablet_number) INTO v_tablets
  FROM akashic_tablet_discoveries d WHERE d.user_id = NEW.user_id;
  UPDATE users SET
    akashic_tablets_collected = v_tablets,
    thoth_unlocked = COALESCE(thoth_unlocked, FALSE) OR cardinality(v_tablets) >= 13
  WHERE id = NEW.user_id;
  IF cardinality(v_tablets) >= 13 THEN
    INSERT INTO hidden_deity_discoveries (user_id, deity_name, discovery_method)
    VALUES (NEW.user_id, 'thoth', 'akashic_tablets')
    ON CONFLICT (user_id, deity_name) DO NOTHING;
  END IF;
  RETURN NULL;
END;
$$;

CREATE TRIGGER trigger_record_akashic_tablet_discovery
  AFTER INSERT ON akashic_tablet_discoveries
  FOR EACH ROW EXECUTE FUNCTION record_akashic_tablet_discovery();

-- Bob is unlocked by being discovered (his unlock_method is special_unlock); Thoth's discovery
-- alone does not unlock him (his tablets do).
CREATE OR REPLACE FUNCTION unlock_discovered_bob() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  UPDATE users SET bob_unlocked = TRUE
  WHERE id = NEW.user_id AND bob_unlocked IS DISTINCT FROM TRUE;
  RETURN NULL;
END;
$$;

CREATE TRIGGER trigger_unlock_discovered_bob
  AFTER INSERT ON hidden_deity_discoveries
  FOR EACH ROW WHEN (NEW.deity_name = 'bob')
  EXECUTE FUNCTION unlock_discovered_bob();

-- Existing data: the mirror and the unlocks follow the discoveries already recorded.
UPDATE users u SET akashic_tablets_collected = d.tablets,
  thoth_unlocked = COALESCE(u.thoth_unlocked, FALSE) OR cardinality(d.tablets) >= 13
FROM (SELECT user_id, array_agg(DISTINCT tablet_number ORDER BY tablet_number) AS tablets
      FROM akashic_tablet_discoveries GROUP BY user_id) d
WHERE u.id = d.user_id;
UPDATE users u SET bob_unlocked = TRUE
FROM hidden_deity_discoveries h
WHERE h.user_id = u.id AND h.deity_name = 'bob' AND u.bob_unlocked IS DISTINCT FROM TRUE;

-- 4. Histories are paged newest first by (created_at, id).
CREATE INDEX idx_akashic_transactions_user_page
  ON akashic_transactions (user_id, created_at DESC, id DESC);
CREATE INDEX idx_attribute_transactions_user_page
  ON attribute_transactions (user_id, created_at DESC, id DESC);
