-- Memory behaviour: full-text index for hybrid search, relationship statistics kept by trigger,
-- memory access recording, and the efficiency, compression-candidate and recall views.

-- Full-text side of 001's hybrid search (to_tsvector('english', content) @@ plainto_tsquery(...)).
CREATE INDEX idx_memories_content_fts
  ON companion_memories USING gin (to_tsvector('english', content));

-- Bytes a memory's embedding occupies: 768 float4 = 3,072 (full), 384 float4 = 1,536 (PCA), the
-- PQ code's length (48), nothing for sparse anchors.
CREATE OR REPLACE FUNCTION memory_storage_bytes(
  p_full vector, p_compressed vector, p_quantized bytea
) RETURNS bigint
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT (CASE WHEN p_full IS NOT NULL THEN vector_dims(p_full) * 4 ELSE 0 END)
       + (CASE WHEN p_compressed IS NOT NULL THEN vector_dims(p_compressed) * 4 ELSE 0 END)
       + COALESCE(octet_length(p_quantized), 0)::bigint
$$;

-- Recomputes one relationship's memory statistics from its memories, creating the relationship row
-- if it does not exist. compression_ratio = bytes the embedded memories would take at full 768-d
-- (3,072 each) / bytes they take; 1.0 when nothing is stored.
CREATE OR REPLACE FUNCTION refresh_relationship_memory_stats(p_companion_id varchar, p_user_id uuid)
RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO companion_relationships AS r (
    companion_id, user_id, total_memories, core_memories_count, important_memories_count,
    background_memories_count, sparse_memories_count, total_storage_bytes, compression_ratio,
    last_updated
  )
  SELECT
    p_companion_id, p_user_id,
    count(*),
    count(*) FILTER (WHERE m.tier = 'core'),
    count(*) FILTER (WHERE m.tier = 'important'),
    count(*) FILTER (WHERE m.tier = 'background'),
    count(*) FILTER (WHERE m.tier = 'sparse'),
    COALESCE(sum(s.bytes), 0),
    CASE WHEN COALESCE(sum(s.bytes), 0) > 0
         THEN (3072.0 * count(*) FILTER (WHERE s.bytes > 0)) / sum(s.bytes)
         ELSE 1.0 END,
    now()
  FROM companion_memories m
  CROSS JOIN LATERAL (
    SELECT memory_storage_bytes(m.full_embedding, m.compressed_embedding, m.quantized_embedding)
      AS bytes
  ) s
  WHERE m.companion_id = p_companion_id AND m.user_id = p_user_id
  ON CONFLICT (companion_id, user_id) DO UPDATE SET
    total_memories = EXCLUDED.total_memories,
    core_memories_count = EXCLUDED.core_memories_count,
    important_memories_count = EXCLUDED.important_memories_count,
    background_memories_count = EXCLUDED.background_memories_count,
    sparse_memories_count = EXCLUDED.sparse_memories_count,
    total_storage_bytes = EXCLUDED.total_storage_bytes,
    compression_ratio = EXCLUDED.compression_ratio,
    last_updated = EXCLUDED.last_updated;
END;
$$;

-- Keeps companion_relationships' counts per tier and storage bytes in step with the memories.
-- Recounting (rather than adding deltas) cannot drift; it reads one (user, companion) pair through
-- idx_memories_user_companion. A memory moved to another pair updates both pairs.
CREATE OR REPLACE FUNCTION update_relationship_stats() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    PERFORM refresh_relationship_memory_stats(NEW.companion_id, NEW.user_id);
  END IF;
  IF TG_OP = 'DELETE'
     OR (TG_OP = 'UPDATE' AND (OLD.companion_id, OLD.user_id) IS DISTINCT FROM (NEW.companion_id, NEW.user_id)) THEN
    PERFORM refresh_relationship_memory_stats(OLD.companion_id, OLD.user_id);
  END IF;
  RETURN NULL;
END;
$$;

-- Only updates that change what the statistics count fire the trigger (not access bookkeeping).
CREATE TRIGGER tr_update_relationship_stats
  AFTER INSERT
     OR UPDATE OF companion_id, user_id, tier, full_embedding, compressed_embedding, quantized_embedding
     OR DELETE
  ON companion_memories
  FOR EACH ROW EXECUTE FUNCTION update_relationship_stats();

-- Logs an access to a memory and bumps its access_count and last_accessed. An unknown memory
-- raises no_data_found (P0002).
CREATE OR REPLACE FUNCTION record_memory_access(
  p_memory_id uuid,
  p_access_type varchar(50),
  p_similarity_score double precision DEFAULT NULL,
  p_retrieval_time_ms integer DEFAULT NULL,
  p_decompression_time_ms integer DEFAULT NULL,
  p_reconstruction_quality double precision DEFAULT NULL
) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  UPDATE companion_memories
  SET access_count = access_count + 1, last_accessed = now()
  WHERE memory_id = p_memory_id;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'record_memory_access: memory % does not exist', p_memory_id
      USING ERRCODE = 'no_data_found';
  END IF;
  INSERT INTO memory_access_patterns (
    memory_id, access_type, similarity_score, retrieval_time_ms, decompression_time_ms,
    reconstruction_quality
  ) VALUES (
    p_memory_id, p_access_type, p_similarity_score, p_retrieval_time_ms, p_decompression_time_ms,
    p_reconstruction_quality
  );
END;
$$;

-- Memory system efficiency per relationship.
CREATE VIEW v_memory_efficiency AS
SELECT
  r.companion_id,
  r.user_id,
  r.total_memories,
  r.total_storage_bytes,
  r.compression_ratio,
  ROUND(r.total_storage_bytes / 1024.0, 2) AS storage_kb,
  r.core_memories_count,
  r.important_memories_count,
  r.background_memories_count,
  r.sparse_memories_count,
  ROUND((100.0 * r.core_memories_count / NULLIF(r.total_memories, 0))::numeric, 1)
    AS core_memory_percent
FROM companion_relationships r;

-- Memories due for compression. The seed used the alias age_days inside its own SELECT list, which
-- is not valid SQL; age_days is computed in a lateral subquery instead.
CREATE VIEW v_compression_candidates AS
SELECT
  m.memory_id,
  m.companion_id,
  m.user_id,
  m.tier,
  m.compression_type,
  m.created_at,
  a.age_days,
  CASE
    WHEN m.tier = 'important' AND a.age_days >= 30 AND m.compression_type = 'full'
      THEN 'PCA_CANDIDATE'
    WHEN m.tier = 'background' AND a.age_days >= 7 AND m.compression_type IN ('full', 'pca384')
      THEN 'PQ_CANDIDATE'
    ELSE 'NO_COMPRESSION'
  END AS compression_recommendation
FROM companion_memories m
CROSS JOIN LATERAL (
  SELECT EXTRACT(DAY FROM (now() - m.created_at))::integer AS age_days
) a
WHERE m.compression_type <> 'sparse_only';

-- Recall performance per companion, tier and access type (the seed names this view without a
-- definition): how often memories are recalled, how similar, how fast, how faithful.
CREATE VIEW v_memory_recall_performance AS
SELECT
  m.companion_id,
  m.tier,
  m.compression_type,
  p.access_type,
  count(*) AS access_count,
  count(DISTINCT p.memory_id) AS distinct_memories,
  avg(p.similarity_score) AS avg_similarity_score,
  avg(p.retrieval_time_ms) AS avg_retrieval_time_ms,
  percentile_cont(0.95) WITHIN GROUP (ORDER BY p.retrieval_time_ms) AS p95_retrieval_time_ms,
  avg(p.decompression_time_ms) AS avg_decompression_time_ms,
  avg(p.reconstruction_quality) AS avg_reconstruction_quality,
  max(p.accessed_at) AS last_accessed_at
FROM memory_access_patterns p
JOIN companion_memories m ON m.memory_id = p.memory_id
GROUP BY m.companion_id, m.tier, m.compression_type, p.access_type;
