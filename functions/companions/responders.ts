/**
 * Who answers a companion turn.
 *
 * - **Workers AI** (`workersAiResponder`), when the Worker has the `AI` binding: the text model
 *   `WORKERS_AI_TEXT_MODEL`, streamed, with a system prompt made of the companion's personality,
 *   the memories recalled for this turn and the tool-command syntax, then the recent turns of the
 *   conversation and the player's message.
 * - **The local responder** (`localResponder`), without the binding (local runs, tests, the
 *   bench; no network): deterministic, no model. It answers with what it recalled (quoting the
 *   best memories, so recall visibly shapes the answer), turns recognizable requests about the
 *   sky, time of day, weather or lighting into tool commands (and repeats commands written in the
 *   `#setSky:'sunset'` form as they are), and acknowledges the rest.
 *
 * Both stream the answer as text chunks; the turn joins them.
 */
import { EventSourceParserStream } from 'eventsource-parser/stream'

/** The Workers AI text model of companions. */
export const WORKERS_AI_TEXT_MODEL = '@cf/meta/llama-3.1-8b-instruct'
/** Longest answer asked of the model, in tokens. */
export const MAX_ANSWER_TOKENS = 512

/** A recalled memory as the prompt shows it. */
export interface PromptMemory {
  text: string
  similarity: number
}

/** Everything a responder may use. */
export interface TurnPrompt {
  companionName: string
  personality: string | null
  /** Best first. */
  memories: PromptMemory[]
  /** The conversation's latest messages before this turn, oldest first. */
  recent: Array<{ role: 'user' | 'assistant' | 'system'; content: string }>
  message: string
}

/** Streams an answer to a prompt. */
export interface Responder {
  /** Names the responder (stored with each answer). */
  readonly name: string
  stream(prompt: TurnPrompt): AsyncIterable<string>
}

/** The tool syntax the model is taught (tools.ts parses it). */
const TOOL_INSTRUCTIONS = `You can change the world around the player when they ask, by writing one command per change anywhere in your answer:
#setSky:'<preset>' (e.g. sunset, sunrise, night, starry), #setTimeOfDay:'HH:MM' (24-hour), #setWeather:'<clear|cloudy|overcast|rain|storm|snow|fog>', #setLighting:'<mood>' (e.g. warm, cold, dim).
Only write a command when the player asks for that change.`

/** The system prompt of a turn. */
export function systemPrompt(prompt: TurnPrompt): string {
  const parts = [
    `You are ${prompt.companionName}, the player's companion in a shared 3D world.`,
    prompt.personality ?? '',
    prompt.memories.length > 0
      ? `What you remember about the player (most relevant first):\n${prompt.memories
          .map((m) => `- ${m.text}`)
          .join('\n')}`
      : 'You do not remember anything relevant about the player yet.',
    TOOL_INSTRUCTIONS,
    'Answer in at most a few sentences.',
  ]
  return parts.filter((part) => part.length > 0).join('\n\n')
}

/** The Workers AI responder (see the file comment). */
export function workersAiResponder(ai: Ai, model = WORKERS_AI_TEXT_MODEL): Responder {
  return {
    name: `workers-ai:${model}`,
    async *stream(prompt) {
      const messages = [
        { role: 'system', content: systemPrompt(prompt) },
        ...prompt.recent.filter((m) => m.role !== 'system'),
        { role: 'user', content: prompt.message },
      ]
      // The binding's typings do not narrow on `stream: true`: it answers a byte stream of
      // server-sent events, each `data: {"response": "<text>"}`, then `data: [DONE]`.
      const run = ai.run as unknown as (
        model: string,
        input: Record<string, unknown>,
      ) => Promise<ReadableStream<Uint8Array>>
      const body = await run(model, { messages, stream: true, max_tokens: MAX_ANSWER_TOKENS })
      const events = body
        .pipeThrough(new TextDecoderStream())
        .pipeThrough(new EventSourceParserStream())
      for await (const event of events as unknown as AsyncIterable<{ data: string }>) {
        if (event.data === '[DONE]') return
        const { response } = JSON.parse(event.data) as { response?: string }
        if (response) yield response
      }
    },
  }
}

/** Sky presets, weather and lighting words the local responder recognizes in a request. */
const SKY_WORDS = ['sunset', 'sunrise', 'dawn', 'dusk', 'night', 'starry', 'noon', 'aurora', 'day']
const WEATHER_WORDS: Record<string, string> = {
  clear: 'clear',
  sunny: 'clear',
  cloudy: 'cloudy',
  overcast: 'overcast',
  rain: 'rain',
  rainy: 'rain',
  storm: 'storm',
  stormy: 'storm',
  snow: 'snow',
  snowy: 'snow',
  fog: 'fog',
  foggy: 'fog',
}
const WEATHER_WORD_PATTERN = new RegExp(`\\b(${Object.keys(WEATHER_WORDS).join('|')})\\b`)
/** A command written in the seed's form: `#tool:'args'`. */
export const TOOL_COMMAND_PATTERN = /#([A-Za-z]+):'([^'\n]{0,64})'/g

/** The commands the local responder derives from the player's words, in the seed's form. */
export function requestedCommands(message: string): string[] {
  const text = message.toLowerCase()
  const commands = [...message.matchAll(TOOL_COMMAND_PATTERN)].map((m) => m[0])
  if (commands.length > 0) return commands
  const sky = text.match(/\bsky\b[^.?!]*?\bto\s+([a-z_]+)/) ?? text.match(/\bmake it\s+([a-z_]+)/)
  if (sky && SKY_WORDS.includes(sky[1])) commands.push(`#setSky:'${sky[1]}'`)
  const time = text.match(/\btime\b[^.?!]*?\b([01]?\d|2[0-3]):([0-5]\d)\b/)
  if (time) commands.push(`#setTimeOfDay:'${time[1].padStart(2, '0')}:${time[2]}'`)
  const weatherAt = text.search(/\b(weather|let it)\b/)
  if (weatherAt >= 0) {
    const word = text.slice(weatherAt).match(WEATHER_WORD_PATTERN)?.[1]
    if (word) commands.push(`#setWeather:'${WEATHER_WORDS[word]}'`)
  }
  const lighting = text.match(/\blight(?:s|ing)?\b[^.?!]*?\bto\s+([a-z_]+)/)
  if (lighting) commands.push(`#setLighting:'${lighting[1]}'`)
  return commands
}

/** Cuts a memory to a quotable length (whole words, an ellipsis when cut). */
function quotable(text: string, max = 160): string {
  const flat = text.replace(/\s+/g, ' ').trim()
  if (flat.length <= max) return flat
  const lastSpace = flat.lastIndexOf(' ', max - 1)
  return `${flat.slice(0, lastSpace > max / 2 ? lastSpace : max - 1)}…`
}

/** The local responder's whole answer (deterministic). */
export function localAnswer(prompt: TurnPrompt): string {
  const sentences: string[] = []
  const quoted = prompt.memories.slice(0, 2)
  if (quoted.length > 0) {
    sentences.push(
      `I remember you told me: ${quoted.map((m) => `“${quotable(m.text)}”`).join(' and ')}`,
    )
    // A quote that ends its own sentence ends ours too ("…beach.”, not "…beach.”.").
    if (!/[.!?…]$/.test(quotable(quoted[quoted.length - 1].text))) sentences[0] += '.'
  }
  const commands = requestedCommands(prompt.message)
  if (commands.length > 0) sentences.push(`As you wish. ${commands.join(' ')}`)
  else if (prompt.message.trim().endsWith('?') && quoted.length === 0) {
    sentences.push("I don't know yet. Tell me, and I will remember.")
  } else if (quoted.length === 0) sentences.push("I'll remember that.")
  sentences.push(`— ${prompt.companionName}`)
  return sentences.join(' ')
}

/**
 * The deterministic local responder (see the file comment). `chunkDelayMs` paces the chunks (a
 * word each) like a model's stream; 0 sends them as fast as the client reads.
 */
export function localResponder(options: { chunkDelayMs?: number } = {}): Responder {
  const delayMs = options.chunkDelayMs ?? 0
  return {
    name: 'local',
    async *stream(prompt) {
      const words = localAnswer(prompt).split(/(?<= )/)
      for (const word of words) {
        if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs))
        yield word
      }
    },
  }
}

/** Workers AI with the `AI` binding, the local responder without. */
export function chooseResponder(env: { AI?: Ai }, chunkDelayMs = 0): Responder {
  return env.AI ? workersAiResponder(env.AI) : localResponder({ chunkDelayMs })
}
