/**
 * One companion turn: `POST /v1/conversations/:id/messages {content}`.
 *
 * `beginCompanionTurn` (before any response byte, so its refusals are plain HTTP errors): the
 * conversation must be the caller's and open, its companion theirs and awake (or a shared one);
 * the player's message is stored and the conversation claimed for this turn.
 *
 * `runCompanionTurn` (streamed to the client as it goes, and run to the end whatever the client
 * does: the route keeps it alive with `waitUntil`, so a client that disconnects mid-answer still
 * finds the answer stored):
 * 1. **recall**: hybrid search (0.7 vector + 0.3 text) of the memory database for this companion
 *    and player, the best `RECALL_K` above `RECALL_MIN_SIMILARITY`;
 * 2. **answer**: the responder (Workers AI or the local one, `responders.ts`) streams the answer;
 * 3. **act**: the answer's tool commands go to the player's live room (`tools.ts`), each with an
 *    outcome;
 * 4. **remember**: the turn becomes memories, and the relationship and analytics move
 *    (`remember.ts`);
 * then the answer is stored with its outcomes and what was recalled and remembered, and the
 * conversation released. A failure to recall or remember is logged and noted on the answer
 * (`context.recall_failed`, `context.remember_failed`); a responder that fails stores no answer
 * and releases the conversation.
 */
import type { Db, MemoryDb } from '../../db/client'
import { avatarAgents } from '../../db/schema/memory'
import { aiCompanions } from '../../db/schema/nexus'
import { eq } from 'drizzle-orm'
import type { Identity } from '../lib/auth'
import { ApiError } from '../lib/errors'
import { createLogger, describeError, type Logger } from '../lib/logger'
import type { Embedder } from '../memory/embedder'
import { searchMemories } from '../memory/search'
import {
  beginTurn,
  finishTurn,
  loadConversation,
  messageResource,
  recentMessages,
} from './conversations'
import { rememberTurn, type RememberedTurn } from './remember'
import type { Responder } from './responders'
import type { ToolCommandOutcome, TurnBody } from './schemas'
import { touchCompanion } from './service'
import {
  applyToolCommands,
  candidateInstances,
  parseToolCommands,
  type RoomCommander,
} from './tools'

/** Memories recalled per turn at most. */
export const RECALL_K = 5
/**
 * Hybrid similarity a memory needs to be recalled. With the local hash embedder a memory that
 * shares a couple of content words with the message scores about 0.2-0.4; unrelated ones stay
 * near 0.
 */
export const RECALL_MIN_SIMILARITY = 0.12

/** A recalled memory as a turn uses it. */
export interface RecalledMemory {
  memory_id: string
  similarity: number
  snippet: string | null
  tier: string
  created_at: string | null
}

/** How a turn recalls: the best `k` memories of the pair for `query`, best first. */
export type Recall = (
  memory: MemoryDb,
  input: { actor: Identity; companionId: string; query: string; k: number; embedder: Embedder },
) => Promise<RecalledMemory[]>

/** The memory service's hybrid search (0.7 vector + 0.3 text, exact within the pair). */
export const hybridRecall: Recall = async (memory, input) =>
  (
    await searchMemories(memory, {
      actor: input.actor,
      companion_id: input.companionId,
      query: input.query,
      k: input.k,
      mode: 'hybrid',
      embedder: input.embedder,
    })
  ).items

/** What a turn needs; the route builds it from the request, the bench from its databases. */
export interface TurnDeps {
  nexus: Db
  memory: MemoryDb
  embedder: Embedder
  responder: Responder
  /** The live rooms (the room gateway), or null where there are none (the bench). */
  rooms: RoomCommander | null
  /** `hybridRecall` unless given (the bench compares a naive scan). */
  recall?: Recall
  log?: Logger
}

/** The events of a streamed turn, in order: `turn`, `recall`, `delta`…, `tool`…, `done` or `error`. */
export type TurnEvent =
  | {
      event: 'turn'
      data: { conversation_id: string; user_message: ReturnType<typeof messageResource> }
    }
  | { event: 'recall'; data: { memories: RecalledMemory[] } }
  | { event: 'delta'; data: { text: string } }
  | { event: 'tool'; data: ToolCommandOutcome }
  | { event: 'done'; data: TurnResult }
  | { event: 'error'; data: { code: string; message: string } }

/** The outcome of a completed turn. */
export interface TurnResult {
  user_message: ReturnType<typeof messageResource>
  assistant_message: ReturnType<typeof messageResource>
  recalled: RecalledMemory[]
  remembered: RememberedTurn['remembered']
  relationship: RememberedTurn['relationship']
}

/** A turn whose message is stored and whose conversation is claimed. */
export interface BegunTurn {
  actor: Identity
  turnId: string
  conversationId: string
  instanceId?: string
  /** The companion's id (and memory key), name, personality and memory capacity. */
  companion: { id: string; name: string; personality: string | null; memoryCapacity: number }
  userMessage: ReturnType<typeof messageResource>
}

/** Checks and claims (see the file comment); refusals are `ApiError`s. */
export async function beginCompanionTurn(
  deps: Pick<TurnDeps, 'nexus' | 'memory'>,
  input: { actor: Identity; conversation_id: string; body: TurnBody },
): Promise<BegunTurn> {
  const { actor } = input
  const conversation = await loadConversation(deps.nexus, actor, input.conversation_id)
  let companion: BegunTurn['companion']
  if (conversation.companionId) {
    const [row] = await deps.nexus
      .select()
      .from(aiCompanions)
      .where(eq(aiCompanions.id, conversation.companionId))
    if (!row || row.ownerId !== actor.userId)
      throw new ApiError('not_found', 'no such conversation')
    if (!row.isActive) {
      throw new ApiError('conflict', `${row.name} is asleep; wake them (is_active) to talk`, {
        reason: 'companion_asleep',
      })
    }
    companion = {
      id: row.id,
      name: row.name,
      personality: row.personalityPrompt,
      memoryCapacity: row.memoryCapacity,
    }
  } else {
    const [agent] = await deps.memory
      .select()
      .from(avatarAgents)
      .where(eq(avatarAgents.agentId, conversation.agentId!))
    if (!agent || agent.isActive === false) {
      throw new ApiError('conflict', 'this shared companion is no longer available', {
        reason: 'companion_unavailable',
      })
    }
    companion = {
      id: agent.agentId,
      name: agent.agentName,
      personality: agent.personalityPrompt,
      memoryCapacity: 1000,
    }
  }
  const turnId = crypto.randomUUID()
  const message = await beginTurn(deps.nexus, {
    actor,
    conversationId: conversation.id,
    turnId,
    content: input.body.content,
  })
  return {
    actor,
    turnId,
    conversationId: conversation.id,
    instanceId: input.body.instance_id,
    companion,
    userMessage: messageResource(message),
  }
}

/** Runs a begun turn to its end (see the file comment); `emit` hears every event. */
export async function runCompanionTurn(
  deps: TurnDeps,
  turn: BegunTurn,
  emit: (event: TurnEvent) => void = () => undefined,
): Promise<TurnResult> {
  const log = deps.log ?? createLogger()
  const { actor, companion } = turn
  const content = turn.userMessage.content
  let released = false
  try {
    emit({
      event: 'turn',
      data: { conversation_id: turn.conversationId, user_message: turn.userMessage },
    })

    // 1. recall
    const recallStarted = Date.now()
    let recalled: RecalledMemory[] = []
    let recallFailed = false
    try {
      const found = await (deps.recall ?? hybridRecall)(deps.memory, {
        actor,
        companionId: companion.id,
        query: content,
        k: RECALL_K,
        embedder: deps.embedder,
      })
      recalled = found
        .filter((hit) => hit.similarity >= RECALL_MIN_SIMILARITY)
        .map(({ memory_id, similarity, snippet, tier, created_at }) => ({
          memory_id,
          similarity,
          snippet,
          tier,
          created_at,
        }))
    } catch (error) {
      recallFailed = true
      log.warn('companion recall failed', {
        conversation_id: turn.conversationId,
        ...describeError(error),
      })
    }
    const recallMs = Date.now() - recallStarted
    emit({ event: 'recall', data: { memories: recalled } })

    // 2. answer
    const recent = await recentMessages(deps.nexus, turn.conversationId, turn.userMessage.seq)
    let answer = ''
    try {
      for await (const chunk of deps.responder.stream({
        companionName: companion.name,
        personality: companion.personality,
        memories: recalled.map((m) => ({ text: m.snippet ?? '', similarity: m.similarity })),
        recent,
        message: content,
      })) {
        answer += chunk
        emit({ event: 'delta', data: { text: chunk } })
      }
    } catch (error) {
      log.error('companion responder failed', {
        conversation_id: turn.conversationId,
        responder: deps.responder.name,
        ...describeError(error),
      })
      throw new ApiError('service_unavailable', 'the companion could not answer; try again')
    }

    // 3. act
    const outcomes = await applyToolCommands({
      commands: parseToolCommands(answer),
      userId: actor.userId,
      companionId: companion.id,
      candidates: await candidateInstances(deps.nexus, actor.userId, turn.instanceId),
      rooms: deps.rooms,
      onOutcome: (outcome) => emit({ event: 'tool', data: outcome }),
    })

    // 4. remember
    let remembered: RememberedTurn = { remembered: [], relationship: null }
    let rememberFailed = false
    try {
      remembered = await rememberTurn(deps.memory, {
        actor,
        companionKey: companion.id,
        embedder: deps.embedder,
        message: content,
        outcomes,
        recalled: recalled.length,
        recallMs,
        memoryCapacity: companion.memoryCapacity,
        context: { conversation_id: turn.conversationId, message_id: turn.userMessage.id },
      })
    } catch (error) {
      rememberFailed = true
      log.warn('companion remember failed', {
        conversation_id: turn.conversationId,
        ...describeError(error),
      })
    }

    const stored = await finishTurn(deps.nexus, {
      conversationId: turn.conversationId,
      turnId: turn.turnId,
      answer: {
        content: answer,
        tool_commands: outcomes,
        context: {
          responder: deps.responder.name,
          recalled: recalled.map(({ memory_id, similarity }) => ({ memory_id, similarity })),
          remembered: remembered.remembered.map((m) => m.memory_id),
          ...(turn.instanceId ? { instance_id: turn.instanceId } : {}),
          ...(recallFailed ? { recall_failed: true } : {}),
          ...(rememberFailed ? { remember_failed: true } : {}),
        },
      },
    })
    released = true
    if (!stored) throw new ApiError('not_found', 'the conversation was deleted during the turn')
    await touchCompanion(deps.nexus, companion.id)
    const result: TurnResult = {
      user_message: turn.userMessage,
      assistant_message: messageResource(stored),
      recalled,
      remembered: remembered.remembered,
      relationship: remembered.relationship,
    }
    emit({ event: 'done', data: result })
    return result
  } catch (error) {
    const apiError =
      error instanceof ApiError
        ? error
        : new ApiError('internal_error', 'the turn failed; your message is stored')
    emit({ event: 'error', data: { code: apiError.code, message: apiError.message } })
    throw error
  } finally {
    if (!released) {
      await finishTurn(deps.nexus, {
        conversationId: turn.conversationId,
        turnId: turn.turnId,
        answer: null,
      }).catch((error) => log.warn('releasing a companion turn failed', describeError(error)))
    }
  }
}
