/** Helpers for workerd tests of moderation: a registered player holding the moderator role. */
import { registerPlayer, tokenFor, type Player } from './api'

/** Registers a player and gives them a token with the `moderator` role. */
export async function registerModerator(): Promise<Player> {
  const user = await registerPlayer('mod')
  return { ...user, token: await tokenFor(user, ['moderator']) }
}
