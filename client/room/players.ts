/**
 * Who is around: the players a room connection knows of, kept up to date from the room's own
 * frames. A player connection knows the players in its area of interest (its zone and the
 * adjacent ones); an observer connection knows every player.
 */
import type {
  InstanceEnvironment,
  ObserverWelcomeMessage,
  PlayerSnapshot,
  ServerEvent,
  WelcomeMessage,
} from '../../durable-objects/instance-room/protocol'

/** The tracked state of one room connection. */
export class PlayerTracker {
  /**
   * Players around the caller (everyone, for an observer), by user id; never the caller. Moves
   * and character changes update a player's snapshot in place; `enter` and a fresh `welcome`
   * replace it.
   */
  readonly players = new Map<string, PlayerSnapshot>()
  /** The caller as the room last described it, with the moves it sent since (null for an observer). */
  me: PlayerSnapshot | null = null
  environment: InstanceEnvironment = {}

  /** A fresh snapshot: forget everything and start from it. */
  reset(welcome: WelcomeMessage | ObserverWelcomeMessage): void {
    this.players.clear()
    for (const player of welcome.players) this.players.set(player.user_id, player)
    this.me = welcome.type === 'welcome' ? welcome.you : null
    this.environment = welcome.environment
  }

  /** Applies one event of a batch; true when the set of players or a player's state changed. */
  apply(event: ServerEvent): boolean {
    switch (event.type) {
      case 'move': {
        const { user_id, zone, position, velocity, rotation, activity } = event
        const seen = this.players.get(user_id)
        if (seen) {
          // Updated in place: a crowded room brings thousands of moves a second, and a new
          // object per move was most of a client's cost of following them.
          seen.zone = zone
          seen.position = position
          seen.velocity = velocity
          seen.rotation = rotation
          seen.activity = activity
        } else {
          // A move carries no character or number: unknown until an `enter` says.
          this.players.set(user_id, {
            user_id,
            number: 0,
            zone,
            position,
            velocity,
            rotation,
            activity,
            character: null,
          })
        }
        return true
      }
      case 'character': {
        const player = this.players.get(event.user_id)
        if (!player) return false
        // In place, like moves: the connection's codec holds the same snapshot (codec.ts).
        player.character = event.character
        return true
      }
      case 'enter':
        this.players.set(event.player.user_id, event.player)
        return true
      case 'leave':
      case 'left':
        return this.players.delete(event.user_id)
      case 'env':
        this.environment = event.environment
        return false
      default:
        // join (an enter follows when the player is in view), chat, emote, and event types
        // added to the protocol later: nothing to track.
        return false
    }
  }
}
