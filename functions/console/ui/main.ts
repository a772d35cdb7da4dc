/**
 * The operator console (`/console`), in the browser. Built on the SDK (`client/`): the typed HTTP
 * client for lists and details, and an observer RoomClient for the live map, chat and
 * environment. Bundled by `npm run console:build` into `functions/console/bundle.generated.ts`.
 */
import {
  NexusClient,
  tokenRoles,
  unwrap,
  type NexusApiError,
  type PlayerSnapshot,
  type RoomClient,
  type SessionTokens,
} from '../../../client'
import type { AreaBoundsSnapshot } from '../../../durable-objects/instance-room/protocol'
import { colorOf, DOT_RADIUS_PX, MAP_SIZE_PX, MAP_ZONES, worldToCanvas } from './geometry'

const STORAGE_KEY = 'nexus.console.tokens'
const LIST_REFRESH_MS = 5_000
const ECONOMY_REFRESH_MS = 10_000
const CHAT_LINES_KEPT = 100
const DEFAULT_BOUNDS: AreaBoundsSnapshot = { min_x: -150, max_x: 150, min_z: -150, max_z: 150 }

// ---------------------------------------------------------------- DOM helpers

type Child = Node | string | number | null | undefined | false
type Style = Partial<Record<'color' | 'background' | 'width' | 'height', string>>
/** Attributes, `on…` listeners, and `style` (set through the CSSOM: the CSP refuses style attributes). */
type Attributes = { [name: string]: string | ((event: Event) => void) | Style }
function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attributes = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag)
  for (const [name, value] of Object.entries(attrs)) {
    if (typeof value === 'function') element.addEventListener(name.slice(2), value)
    else if (typeof value === 'object') Object.assign(element.style, value)
    else element.setAttribute(name, value)
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue
    element.append(typeof child === 'object' ? child : String(child))
  }
  return element
}

const byId = <T extends HTMLElement>(id: string) => document.getElementById(id) as T
const time = (iso: string | number | null) =>
  iso === null ? '' : new Date(iso).toISOString().slice(11, 19)
const short = (id: string | null) => (id ? id.slice(0, 8) : '—')
const rgb = ([r, g, b]: [number, number, number]) => `rgb(${r}, ${g}, ${b})`

function errorText(error: unknown): string {
  const e = error as Partial<NexusApiError>
  return e.code ? `${e.code}: ${e.message}` : String((error as Error).message ?? error)
}

// ---------------------------------------------------------------- state

/** Whether the page shows the console (true) or the sign-in forms. */
let signedIn = false
const stored = sessionStorage.getItem(STORAGE_KEY)
const client = new NexusClient({
  baseUrl: location.origin,
  tokens: stored ? (JSON.parse(stored) as SessionTokens) : null,
  onTokens: (tokens) => {
    if (tokens) sessionStorage.setItem(STORAGE_KEY, JSON.stringify(tokens))
    else sessionStorage.removeItem(STORAGE_KEY)
    // Only signing in or out changes the page; a refreshed token keeps the room and the map.
    if ((tokens !== null) !== signedIn) render()
  },
})

/** Names of users met so far (presence answers them; events carry ids only). */
const usernames = new Map<string, string>()
let room: RoomClient | null = null
let selectedInstance: { id: string; name: string } | null = null
let bounds: AreaBoundsSnapshot = DEFAULT_BOUNDS
let mapDirty = true
const timers: number[] = []

function roles(): string[] {
  const token = client.session.tokens?.access_token
  return token ? tokenRoles(token) : []
}
const isStaff = () => roles().some((r) => r === 'admin' || r === 'moderator')
const isAdmin = () => roles().includes('admin')

// ---------------------------------------------------------------- sign in

function renderSignIn(): HTMLElement {
  const message = h('p', { class: 'error', 'data-testid': 'sign-in-error' })
  const fail = (error: unknown) => (message.textContent = errorText(error))
  const passwordForm = h(
    'form',
    {
      onsubmit: (event) => {
        event.preventDefault()
        const data = new FormData(event.target as HTMLFormElement)
        client.login(String(data.get('username')), String(data.get('password'))).catch(fail)
      },
    },
    h('h2', {}, 'Username and password'),
    h('input', {
      name: 'username',
      placeholder: 'username',
      autocomplete: 'username',
      required: '',
    }),
    h('input', {
      name: 'password',
      type: 'password',
      placeholder: 'password',
      autocomplete: 'current-password',
      required: '',
    }),
    h('button', { type: 'submit' }, 'Sign in'),
  )
  const tokenForm = h(
    'form',
    {
      onsubmit: (event) => {
        event.preventDefault()
        const token = String(new FormData(event.target as HTMLFormElement).get('token')).trim()
        client.session.setTokens({ access_token: token })
      },
    },
    h('h2', {}, 'Access token'),
    h(
      'p',
      { class: 'hint' },
      'Staff tokens come from your identity gateway, or locally from ',
      h('code', {}, 'npm run token -- --user ops --role admin'),
      '.',
    ),
    h('textarea', {
      name: 'token',
      placeholder: 'eyJ…',
      rows: '3',
      required: '',
      'data-testid': 'token-input',
    }),
    h('button', { type: 'submit', 'data-testid': 'token-submit' }, 'Use token'),
  )
  return h(
    'section',
    { class: 'sign-in' },
    h('h1', {}, 'NEXUS console'),
    passwordForm,
    tokenForm,
    message,
  )
}

// ---------------------------------------------------------------- instances

async function refreshInstances(): Promise<void> {
  const body = byId<HTMLTableSectionElement>('instances-body')
  if (!body) return
  try {
    const page = unwrap(await client.api.GET('/v1/instances', { params: { query: { limit: 20 } } }))
    const rows = await Promise.all(
      page.items.map(async (instance) => {
        const presence = await client.api.GET('/v1/instances/{id}/presence', {
          params: { path: { id: instance.id } },
        })
        for (const p of presence.data?.players ?? []) usernames.set(p.user_id, p.username)
        return { instance, live: presence.data ? presence.data.players.length : null }
      }),
    )
    body.replaceChildren(
      ...rows.map(({ instance, live }) =>
        h(
          'tr',
          {
            class: instance.id === selectedInstance?.id ? 'selected' : '',
            'data-testid': 'instance-row',
            'data-instance-id': instance.id,
            onclick: () => selectInstance(instance.id, instance.name),
          },
          h('td', {}, instance.name),
          h('td', {}, instance.type, instance.is_public ? '' : ' · private'),
          h('td', { class: 'num' }, instance.visitor_count),
          h('td', { class: 'num', 'data-testid': 'instance-live' }, live ?? '?'),
        ),
      ),
    )
    status('instances', `${rows.length} instance(s) · refreshed ${time(Date.now())}`)
  } catch (error) {
    status('instances', errorText(error))
  }
}

function status(section: string, text: string): void {
  const element = document.querySelector(`[data-status=${section}]`)
  if (element) element.textContent = text
}

// ---------------------------------------------------------------- one room

async function selectInstance(id: string, name: string): Promise<void> {
  room?.close()
  selectedInstance = { id, name }
  byId('room-title').textContent = name
  byId('chat-log').replaceChildren()
  document.querySelectorAll('[data-testid=instance-row]').forEach((row) => {
    row.classList.toggle('selected', row.getAttribute('data-instance-id') === id)
  })
  void refreshNames(id)
  void loadChatHistory(id)
  room = client.observeRoom(id)
  const current = room
  current.on('status', (s) => current === room && status('room', s))
  current.on('observer_welcome', (welcome) => {
    bounds = welcome.bounds
    renderEnvironment()
    markMapDirty()
  })
  current.on('players', markMapDirty)
  current.on('join', () => void refreshNames(id))
  current.on('chat', (event) =>
    addChatLine(
      event.user_id,
      event.text,
      `${event.scope === 'instance' ? 'all' : event.zone}`,
      event.sent_at_ms,
    ),
  )
  current.on('emote', (event) => addChatLine(event.user_id, `*${event.name}*`, 'emote', Date.now()))
  current.on('env', renderEnvironment)
  current.on('error', (frame) => status('room', `${frame.code}: ${frame.message}`))
  current.ready.catch((error) => status('room', errorText(error)))
}

async function refreshNames(instanceId: string): Promise<void> {
  const presence = await client.api.GET('/v1/instances/{id}/presence', {
    params: { path: { id: instanceId } },
  })
  for (const p of presence.data?.players ?? []) usernames.set(p.user_id, p.username)
  markMapDirty()
}

async function loadChatHistory(instanceId: string): Promise<void> {
  const page = await client.api.GET('/v1/instances/{id}/chat', {
    params: { path: { id: instanceId }, query: { limit: 20 } },
  })
  for (const item of [...(page.data?.items ?? [])].reverse()) {
    usernames.set(item.user_id, item.username)
    addChatLine(
      item.user_id,
      item.text,
      item.scope === 'instance' ? 'all' : item.zone,
      Date.parse(item.sent_at),
    )
  }
}

function addChatLine(userId: string, text: string, where: string, atMs: number): void {
  const log = byId('chat-log')
  log.append(
    h(
      'li',
      { 'data-testid': 'chat-line' },
      h('time', {}, time(atMs)),
      h('b', { style: { color: rgb(colorOf(userId)) } }, usernames.get(userId) ?? short(userId)),
      h('span', { class: 'where' }, where),
      h('span', { class: 'text' }, text),
    ),
  )
  while (log.childElementCount > CHAT_LINES_KEPT) log.firstElementChild!.remove()
  log.scrollTop = log.scrollHeight
}

function renderEnvironment(): void {
  const environment = room?.environment ?? {}
  byId('environment').replaceChildren(
    ...Object.entries(environment)
      .filter(([key]) => key !== 'last_changed_at')
      .map(([key, value]) => {
        const name = key === 'last_changed_by' ? usernames.get(String(value)) : undefined
        return h('div', {}, h('dt', {}, key), h('dd', {}, name ?? String(value)))
      }),
  )
}

// ---------------------------------------------------------------- the map

function markMapDirty(): void {
  mapDirty = true
}

function drawMap(): void {
  requestAnimationFrame(drawMap)
  if (!mapDirty) return
  mapDirty = false
  const canvas = byId<HTMLCanvasElement>('map')
  if (!canvas) return
  const ratio = window.devicePixelRatio || 1
  if (canvas.width !== MAP_SIZE_PX * ratio) {
    canvas.width = canvas.height = MAP_SIZE_PX * ratio
  }
  const ctx = canvas.getContext('2d')!
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0)
  ctx.fillStyle = '#10151c'
  ctx.fillRect(0, 0, MAP_SIZE_PX, MAP_SIZE_PX)
  // Zone borders and names: thirds on x (west → east) and z (north at the top).
  const third = MAP_SIZE_PX / 3
  ctx.strokeStyle = '#3a4656'
  ctx.lineWidth = 2
  for (let i = 1; i < 3; i++) {
    ctx.beginPath()
    ctx.moveTo(i * third, 0)
    ctx.lineTo(i * third, MAP_SIZE_PX)
    ctx.moveTo(0, i * third)
    ctx.lineTo(MAP_SIZE_PX, i * third)
    ctx.stroke()
  }
  ctx.fillStyle = '#5d6b7d'
  ctx.font = '12px system-ui, sans-serif'
  MAP_ZONES.forEach((zone, index) => {
    ctx.fillText(
      zone.replace('_', ' '),
      (index % 3) * third + 8,
      Math.floor(index / 3) * third + 18,
    )
  })
  const players = [...(room?.players.values() ?? [])]
  for (const player of players) drawPlayer(ctx, player)
  byId('live-count').textContent = `${players.length} player${players.length === 1 ? '' : 's'} live`
  renderPlayerList(players)
}

function drawPlayer(ctx: CanvasRenderingContext2D, player: PlayerSnapshot): void {
  const { px, py } = worldToCanvas(bounds, player.position.x, player.position.z)
  ctx.beginPath()
  ctx.arc(px, py, DOT_RADIUS_PX, 0, Math.PI * 2)
  ctx.fillStyle = rgb(colorOf(player.user_id))
  ctx.fill()
  ctx.fillStyle = '#e8edf3'
  ctx.font = '12px system-ui, sans-serif'
  const label = usernames.get(player.user_id) ?? short(player.user_id)
  const width = ctx.measureText(label).width
  // Right of the dot, or left of it when that would leave the map.
  const right = px + DOT_RADIUS_PX + 4
  ctx.fillText(label, right + width > MAP_SIZE_PX ? px - DOT_RADIUS_PX - 4 - width : right, py + 4)
}

function renderPlayerList(players: PlayerSnapshot[]): void {
  byId('players').replaceChildren(
    ...players
      .sort((a, b) => a.user_id.localeCompare(b.user_id))
      .map((player) =>
        h(
          'li',
          {
            'data-testid': 'player',
            'data-user-id': player.user_id,
            'data-zone': player.zone,
            onclick: () => void showPlayer(player.user_id),
          },
          h('span', { class: 'dot', style: { background: rgb(colorOf(player.user_id)) } }),
          h('b', {}, usernames.get(player.user_id) ?? short(player.user_id)),
          h('span', { class: 'where' }, player.zone.replace('_', ' ')),
          h(
            'span',
            { class: 'pos' },
            `${player.position.x.toFixed(1)}, ${player.position.z.toFixed(1)}`,
          ),
          h('span', { class: 'where' }, player.activity),
        ),
      ),
  )
}

// ---------------------------------------------------------------- a player, the economy

async function showPlayer(userId: string): Promise<void> {
  const panel = byId('player-detail')
  panel.replaceChildren(h('p', {}, 'loading…'))
  const profile = await client.api.GET('/v1/users/{id}', { params: { path: { id: userId } } })
  const rows: Array<Node | string> = [
    h('h3', {}, profile.data?.username ?? short(userId)),
    h('p', { class: 'hint' }, userId),
  ]
  if (profile.data) {
    rows.push(
      h('p', {}, `akashic rank ${profile.data.akashic_rank} (${profile.data.akashic_rank_title})`),
    )
  }
  if (isAdmin()) {
    const [balance, moves] = await Promise.all([
      client.api.GET('/v1/admin/economy/balances/{user_id}', {
        params: { path: { user_id: userId } },
      }),
      client.api.GET('/v1/admin/economy/transactions', {
        params: { query: { user_id: userId, limit: 5 } },
      }),
    ])
    if (balance.data) {
      rows.push(
        h(
          'p',
          { 'data-testid': 'player-balance' },
          `${balance.data.tokens} tokens · ${balance.data.premium_tokens} premium · streak ${balance.data.daily_streak}`,
        ),
      )
    }
    rows.push(transactionsTable(moves.data?.items ?? []))
  } else {
    rows.push(h('p', { class: 'hint' }, 'Balances need the admin role.'))
  }
  panel.replaceChildren(...rows)
}

type Transaction = {
  id: string
  transaction_type: string
  from_user_id: string | null
  to_user_id: string | null
  tokens_transferred: number
  timestamp: string | null
}

function transactionsTable(items: Transaction[]): HTMLElement {
  return h(
    'table',
    {},
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        h('th', {}, 'time'),
        h('th', {}, 'type'),
        h('th', {}, 'from'),
        h('th', {}, 'to'),
        h('th', { class: 'num' }, 'tokens'),
      ),
    ),
    h(
      'tbody',
      {},
      ...items.map((t) =>
        h(
          'tr',
          { 'data-testid': 'transaction' },
          h('td', {}, time(t.timestamp)),
          h('td', {}, t.transaction_type),
          h('td', {}, short(t.from_user_id)),
          h('td', {}, short(t.to_user_id)),
          h('td', { class: 'num' }, t.tokens_transferred),
        ),
      ),
    ),
  )
}

async function refreshEconomy(): Promise<void> {
  const panel = byId('economy')
  if (!panel) return
  if (!isAdmin()) {
    panel.replaceChildren(h('p', { class: 'hint' }, 'The economy needs the admin role.'))
    return
  }
  const page = await client.api.GET('/v1/admin/economy/transactions', {
    params: { query: { limit: 12 } },
  })
  panel.replaceChildren(transactionsTable(page.data?.items ?? []))
}

// ---------------------------------------------------------------- layout

function renderConsole(): HTMLElement {
  const user = client.session.tokens?.user?.username
  return h(
    'div',
    { class: 'console' },
    h(
      'header',
      {},
      h('h1', {}, 'NEXUS console'),
      h(
        'span',
        { class: 'who', 'data-testid': 'who' },
        user ?? 'token',
        ' · ',
        roles().join(', ') || 'no roles',
      ),
      h(
        'button',
        {
          onclick: () => {
            room?.close()
            room = null
            void client.logout()
          },
        },
        'Sign out',
      ),
    ),
    isStaff()
      ? null
      : h(
          'p',
          { class: 'error' },
          'Watching rooms needs the moderator or admin role; this token has ',
          roles().join(', ') || 'none',
          '.',
        ),
    h(
      'main',
      {},
      h(
        'section',
        { class: 'instances' },
        h('h2', {}, 'Instances'),
        h('p', { class: 'hint', 'data-status': 'instances' }),
        h(
          'table',
          {},
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              h('th', {}, 'name'),
              h('th', {}, 'kind'),
              h('th', { class: 'num' }, 'visitors'),
              h('th', { class: 'num' }, 'live'),
            ),
          ),
          h('tbody', { id: 'instances-body' }),
        ),
        h('h2', {}, 'Player'),
        h(
          'div',
          { id: 'player-detail' },
          h('p', { class: 'hint' }, 'Click a player on the map list.'),
        ),
      ),
      h(
        'section',
        { class: 'room' },
        h(
          'h2',
          {},
          h('span', { id: 'room-title' }, 'Pick an instance'),
          ' ',
          h('small', { id: 'live-count', 'data-testid': 'live-count' }),
        ),
        h('p', { class: 'hint', 'data-status': 'room' }),
        h('canvas', {
          id: 'map',
          'data-testid': 'map',
          style: { width: `${MAP_SIZE_PX}px`, height: `${MAP_SIZE_PX}px` },
        }),
        h('ul', { id: 'players', class: 'players' }),
      ),
      h(
        'section',
        { class: 'side' },
        h('h2', {}, 'Chat'),
        h('ol', { id: 'chat-log', class: 'chat', 'data-testid': 'chat-log' }),
        h('h2', {}, 'Environment'),
        h('dl', { id: 'environment', class: 'environment', 'data-testid': 'environment' }),
        h('h2', {}, 'Economy, latest'),
        h('div', { id: 'economy' }),
      ),
    ),
  )
}

function render(): void {
  signedIn = client.session.tokens !== null
  for (const timer of timers.splice(0)) clearInterval(timer)
  const root = byId('app')
  if (!client.session.tokens) {
    room?.close()
    room = null
    root.replaceChildren(renderSignIn())
    return
  }
  root.replaceChildren(renderConsole())
  mapDirty = true
  void refreshInstances()
  void refreshEconomy()
  timers.push(window.setInterval(() => void refreshInstances(), LIST_REFRESH_MS))
  timers.push(window.setInterval(() => void refreshEconomy(), ECONOMY_REFRESH_MS))
  if (selectedInstance) void selectInstance(selectedInstance.id, selectedInstance.name)
}

render()
requestAnimationFrame(drawMap)
