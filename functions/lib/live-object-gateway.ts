/**
 * What every gateway of a live Durable Object kind shares (`instances/room-gateway.ts`,
 * `quest-sessions/session-gateway.ts`): the object named only by a canonical id, an unreachable or
 * throwing object answered as `503 service_unavailable` with a log line, and an object's refusal
 * (a code of the closed set) re-thrown as `ApiError` so the client gets the Worker's envelope.
 */
import { z } from 'zod'
import type { Answer } from '../../durable-objects/core/refusal'
import { ApiError, ERROR_CODES } from './errors'
import { isCanonicalId } from './ids'
import { createLogger, describeError, type Logger } from './logger'

/** A refusal as it crosses the boundary (checked: the code must be one of the closed set). */
const refusalSchema = z.object({
  ok: z.literal(false),
  error: z.object({ code: z.enum(ERROR_CODES), message: z.string() }),
})

/** A Durable Object namespace (the real binding, or in tests a fault-injecting subclass's). */
export interface ObjectNamespace<T extends Rpc.DurableObjectBranded | undefined> {
  idFromName(name: string): DurableObjectId
  get(id: DurableObjectId): DurableObjectStub<T>
}

/** How a gateway names its objects in logs and errors. */
export interface GatewayLabels {
  /** Log message of an unreachable object, e.g. `instance room unavailable`. */
  unavailableLog: string
  /** Log field of the object's id, e.g. `instance_id`. */
  idField: string
  /** The 503's message to the client. */
  unavailableMessage: string
}

/** The calls of one request (or one test) to one kind of live object. */
export class LiveObjectGateway<T extends Rpc.DurableObjectBranded | undefined> {
  constructor(
    protected readonly namespace: ObjectNamespace<T>,
    private readonly labels: GatewayLabels,
    /** The request's logger (its lines carry the request id). */
    protected readonly logger: Logger = createLogger(),
  ) {}

  /** Calls the object named `id`; an unreachable or throwing object is a 503. */
  protected async call<R>(
    id: string,
    method: string,
    invoke: (stub: DurableObjectStub<T>) => Promise<R>,
  ): Promise<R> {
    const stub = this.stubOf(id)
    try {
      return await invoke(stub)
    } catch (error) {
      this.logFailure(id, method, error)
      throw this.unavailable()
    }
  }

  /** The object's stub; its name is the canonical id, asserted. */
  protected stubOf(id: string): DurableObjectStub<T> {
    if (!isCanonicalId(id)) {
      throw new Error(`a live object is named by a canonical (lower-case) UUID, got "${id}"`)
    }
    return this.namespace.get(this.namespace.idFromName(id))
  }

  /** The value of an answer, or its refusal as `ApiError`. */
  protected unwrap<R>(id: string, method: string, answer: Answer<R>): R {
    if (answer.ok) return answer.value
    throw this.refusalError(id, method, answer)
  }

  /** Calls an RPC method that answers with `Answer<R>`: its value, or its refusal as `ApiError`. */
  protected async answer<R>(
    id: string,
    method: string,
    invoke: (stub: DurableObjectStub<T>) => Promise<Answer<R>>,
  ): Promise<R> {
    return this.unwrap(id, method, (await this.call(id, method, invoke)) as Answer<R>)
  }

  /** Opens a WebSocket through the object's `fetch`; a refused upgrade is re-thrown. */
  protected async upgrade(id: string, url: string, headers: Record<string, string>) {
    const answer = await this.call(id, 'connect', (stub) =>
      stub.fetch(url, { headers: { Upgrade: 'websocket', ...headers } }),
    )
    if (answer.status === 101 && answer.webSocket) return answer.webSocket
    throw this.refusalError(id, 'connect', await answer.json().catch(() => null))
  }

  /**
   * A refusal re-thrown as `ApiError`; a body outside the contract (a code not in the closed
   * set, no refusal at all) is the object failing, so a 503.
   */
  protected refusalError(id: string, method: string, body: unknown): ApiError {
    const refusal = refusalSchema.safeParse(body)
    if (refusal.success) return new ApiError(refusal.data.error.code, refusal.data.error.message)
    const received = JSON.stringify(body)?.slice(0, 200)
    this.logFailure(id, method, new Error(`answer outside the contract: ${received}`))
    return this.unavailable()
  }

  private logFailure(id: string, method: string, error: unknown): void {
    this.logger.error(this.labels.unavailableLog, {
      [this.labels.idField]: id,
      method,
      ...describeError(error),
    })
  }

  private unavailable(): ApiError {
    return new ApiError('service_unavailable', this.labels.unavailableMessage)
  }
}
