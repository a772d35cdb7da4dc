/**
 * Per-connection token bucket for client frames. Its state is a small plain object so it can ride
 * in the WebSocket attachment and survive hibernation.
 *
 * Hand-written rather than a library: the known limiters keep state in closures, timers or
 * external stores, and we need a few lines of pure arithmetic over serializable state.
 */
import { CLIENT_FRAME_BURST, MAX_CLIENT_FRAMES_PER_SECOND } from './config'

/** Serializable bucket state. */
export interface TokenBucketState {
  /** Tokens available (fractional between refills). */
  tokens: number
  /** Clock reading (epoch ms) the tokens were last refilled at. */
  refilledAtMs: number
  /** Frames refused since the bucket was created. */
  droppedFrames: number
}

/** Refill rate and size of a bucket. */
export interface TokenBucketLimits {
  tokensPerSecond: number
  burst: number
}

/** Limits for client frames, from config. */
export const CLIENT_FRAME_LIMITS: Readonly<TokenBucketLimits> = Object.freeze({
  tokensPerSecond: MAX_CLIENT_FRAMES_PER_SECOND,
  burst: CLIENT_FRAME_BURST,
})

/** A token bucket: `take` one token per frame; an empty bucket drops the frame. */
export class TokenBucket {
  private readonly state: TokenBucketState

  /** Wraps existing state (e.g. from an attachment); the bucket mutates its own copy. */
  constructor(
    state: TokenBucketState,
    private readonly limits: TokenBucketLimits = CLIENT_FRAME_LIMITS,
  ) {
    this.state = { ...state }
  }

  /** A full bucket, as for a connection that just opened. */
  static full(nowMs: number, limits: TokenBucketLimits = CLIENT_FRAME_LIMITS): TokenBucket {
    return new TokenBucket({ tokens: limits.burst, refilledAtMs: nowMs, droppedFrames: 0 }, limits)
  }

  /** Takes one token if available; otherwise counts a dropped frame and returns false. */
  take(nowMs: number): boolean {
    this.refill(nowMs)
    if (this.state.tokens >= 1) {
      this.state.tokens -= 1
      return true
    }
    this.state.droppedFrames += 1
    return false
  }

  /** Frames refused so far. */
  get droppedFrames(): number {
    return this.state.droppedFrames
  }

  /** A plain copy of the state, for `serializeAttachment`. */
  toState(): TokenBucketState {
    return { ...this.state }
  }

  private refill(nowMs: number): void {
    // A clock that goes backwards (or stands still, as workerd's does within one event) adds
    // nothing, and never moves refilledAtMs back, so it cannot mint tokens later either.
    const elapsedMs = nowMs - this.state.refilledAtMs
    if (!(elapsedMs > 0)) return
    this.state.tokens = Math.min(
      this.limits.burst,
      this.state.tokens + (elapsedMs * this.limits.tokensPerSecond) / 1000,
    )
    this.state.refilledAtMs = nowMs
  }
}
