/**
 * Tool commands: what an answer asks of the live world, in the seed's form `#setSky:'sunset'`.
 *
 * Each command names one key of the instance environment (`setSky` → `sky_preset`,
 * `setTimeOfDay` → `time_of_day`, `setWeather` → `weather`, `setLighting` → `lighting_mood`) and
 * is sent, one `environment_command` notice each, to the live room of the instance the player is
 * in. The room decides (durable-objects/instance-room/room.ts): the player must be connected
 * there with `can_change_environment`, and the value must pass the room's own environment rules.
 *
 * Which instance: the one the client names (`instance_id` of the turn), else the instances of the
 * player's open room sessions (`active_sessions`, written by the rooms' sync, so up to 30 s late),
 * most recent first; the first room that has the player connected takes every command of the turn.
 *
 * Every command gets an outcome, recorded with the answer: `applied`, or `refused` with a reason
 * (`unknown_tool`, `too_many_commands`, `not_in_instance`, `forbidden`, `invalid_value`,
 * `room_unavailable`). Nothing is dropped silently.
 */
import { sql } from 'drizzle-orm'
import type { Db } from '../../db/client'
import type { RoomNotice } from '../../durable-objects/instance-room/notices'
import { ApiError } from '../lib/errors'
import { TOOL_COMMAND_PATTERN } from './responders'
import type { ToolCommandOutcome } from './schemas'

/** Commands of one answer that are carried out at most; the rest are refused. */
export const MAX_TOOL_COMMANDS_PER_ANSWER = 4
/** Open room sessions looked at when the client names no instance. */
const MAX_SESSION_CANDIDATES = 3

/** The environment key each tool sets. */
export const TOOL_ENVIRONMENT_KEYS: Record<string, string> = {
  setSky: 'sky_preset',
  setTimeOfDay: 'time_of_day',
  setTime: 'time_of_day',
  setWeather: 'weather',
  setLighting: 'lighting_mood',
}

/** A command as written in an answer. */
export interface ToolCommand {
  tool: string
  args: string
}

/** The commands in `answer`, in order. */
export function parseToolCommands(answer: string): ToolCommand[] {
  return [...answer.matchAll(TOOL_COMMAND_PATTERN)].map((m) => ({ tool: m[1], args: m[2] }))
}

/** What the tools need of the live rooms (the room gateway; none in the bench). */
export interface RoomCommander {
  command(instanceId: string, notice: RoomNotice): Promise<void>
}

/** The instances to try for a player: the one named, else their open sessions, newest first. */
export async function candidateInstances(
  db: Db,
  userId: string,
  named: string | undefined,
): Promise<string[]> {
  if (named !== undefined) return [named]
  const { rows } = await db.execute<{ instance_id: string }>(sql`
    SELECT instance_id FROM active_sessions
    WHERE user_id = ${userId}::uuid AND instance_id IS NOT NULL
    GROUP BY instance_id ORDER BY max(last_heartbeat) DESC NULLS LAST
    LIMIT ${MAX_SESSION_CANDIDATES}`)
  return rows.map((r) => r.instance_id)
}

const outcome = (
  command: ToolCommand,
  status: ToolCommandOutcome['status'],
  reason: string | null,
  message: string | null,
  instanceId: string | null,
): ToolCommandOutcome => ({
  tool: command.tool,
  args: command.args,
  status,
  reason,
  message,
  instance_id: instanceId,
})

/** The reason recorded for a room's refusal. */
function refusalReason(error: unknown): { reason: string; message: string } {
  if (error instanceof ApiError) {
    const reason =
      error.code === 'not_found'
        ? 'not_in_instance'
        : error.code === 'forbidden'
          ? 'forbidden'
          : error.code === 'validation_error'
            ? 'invalid_value'
            : 'room_unavailable'
    return { reason, message: error.message }
  }
  return { reason: 'room_unavailable', message: 'the live room could not be reached' }
}

/**
 * Applies the commands of one answer for `userId` through `rooms`, in order; one outcome per
 * command (`onOutcome` hears each as it is decided).
 */
export async function applyToolCommands(input: {
  commands: ToolCommand[]
  userId: string
  companionId: string
  candidates: string[]
  rooms: RoomCommander | null
  onOutcome?: (outcome: ToolCommandOutcome) => void
}): Promise<ToolCommandOutcome[]> {
  const outcomes: ToolCommandOutcome[] = []
  const record = (result: ToolCommandOutcome) => {
    outcomes.push(result)
    input.onOutcome?.(result)
  }
  // The room found to hold the player; `candidates` are tried until one does.
  let instanceId: string | null = null
  let remaining = [...input.candidates]
  for (const [index, command] of input.commands.entries()) {
    const key = TOOL_ENVIRONMENT_KEYS[command.tool]
    if (key === undefined) {
      record(outcome(command, 'refused', 'unknown_tool', `no tool named ${command.tool}`, null))
      continue
    }
    if (index >= MAX_TOOL_COMMANDS_PER_ANSWER) {
      record(
        outcome(
          command,
          'refused',
          'too_many_commands',
          `at most ${MAX_TOOL_COMMANDS_PER_ANSWER} commands per answer`,
          null,
        ),
      )
      continue
    }
    const notice: RoomNotice = {
      type: 'environment_command',
      user_id: input.userId,
      companion_id: input.companionId,
      changes: { [key]: command.args },
    }
    let result: ToolCommandOutcome | null = null
    const tries: string[] = instanceId !== null ? [instanceId] : remaining
    for (const candidate of tries) {
      try {
        if (input.rooms === null) throw new ApiError('not_found', 'no live rooms here')
        await input.rooms.command(candidate, notice)
        instanceId = candidate
        result = outcome(command, 'applied', null, null, candidate)
        break
      } catch (error) {
        const refusal = refusalReason(error)
        if (refusal.reason === 'not_in_instance' && instanceId === null) {
          remaining = remaining.filter((id) => id !== candidate)
          continue
        }
        instanceId = candidate
        result = outcome(command, 'refused', refusal.reason, refusal.message, candidate)
        break
      }
    }
    record(
      result ??
        outcome(
          command,
          'refused',
          'not_in_instance',
          'you are not connected to a live instance (pass instance_id, or connect first)',
          null,
        ),
    )
  }
  return outcomes
}
