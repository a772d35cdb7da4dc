import { SELF } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { api, registerPlayer, type Player } from '../support/api'
import { registerModerator } from '../support/moderation'
import { bytesOf, HOSTILE_SVG, JPEG_123x45, PNG_64x48, wavOf } from './fixtures'

/** Uploads raw bytes as the body (a ReadableStream body is sent without Content-Length). */
async function upload(
  player: Player,
  body: Uint8Array | string | ReadableStream<Uint8Array>,
  query = '',
  contentType = 'application/octet-stream',
) {
  const res = await SELF.fetch(`http://nexus.test/v1/media${query}`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${player.token}`, 'Content-Type': contentType },
    body,
  })
  const text = await res.text()
  let parsed: any = text
  try {
    parsed = JSON.parse(text)
  } catch {
    // not JSON
  }
  return { status: res.status, body: parsed, text, headers: res.headers }
}

/** Fetches a media file's content. */
async function content(player: Player, id: string, headers: Record<string, string> = {}) {
  return SELF.fetch(`http://nexus.test/v1/media/${id}/content`, {
    headers: { Authorization: `Bearer ${player.token}`, ...headers },
  })
}

async function approve(mod: Player, mediaId: string) {
  const res = await api('/v1/admin/moderation/actions', {
    token: mod.token,
    body: { action: 'approve_media', target_id: mediaId, reason: 'fine' },
  })
  expect(res.status, res.text).toBe(201)
}

describe('POST /v1/media', () => {
  it('stores a real PNG as a pending image with the width and height read from the file', async () => {
    const owner = await registerPlayer('up')
    const res = await upload(
      owner,
      bytesOf(PNG_64x48),
      '?filename=leaf.png&usage_context=coloring_base',
    )
    expect(res.status, res.text).toBe(201)
    expect(res.body).toMatchObject({
      user_id: owner.id,
      media_type: 'image',
      mime_type: 'image/png',
      file_size_bytes: bytesOf(PNG_64x48).byteLength,
      width: 64,
      height: 48,
      original_filename: 'leaf.png',
      usage_context: 'coloring_base',
      moderation_status: 'pending',
      content_url: `/v1/media/${res.body.id}/content`,
    })
    const stored = await content(owner, res.body.id)
    expect(stored.status).toBe(200)
    expect(new Uint8Array(await stored.arrayBuffer())).toEqual(bytesOf(PNG_64x48))
  })

  it('decides the type by the bytes: a JPEG named .png and sent as image/png is a JPEG', async () => {
    const owner = await registerPlayer('up')
    const res = await upload(owner, bytesOf(JPEG_123x45), '?filename=photo.png', 'image/png')
    expect(res.status, res.text).toBe(201)
    // Its size sits past the first 4 KB (after a 9 KB EXIF segment): read while streaming.
    expect(res.body).toMatchObject({ mime_type: 'image/jpeg', width: 123, height: 45 })
    const stored = await content(owner, res.body.id)
    expect(stored.headers.get('Content-Type')).toBe('image/jpeg')
    await stored.arrayBuffer()
  })

  it('refuses a file over 5,000,000 bytes, declared or streamed without a length', async () => {
    const owner = await registerPlayer('up')
    const big = new Uint8Array(5_000_001)
    big.set(bytesOf(PNG_64x48))
    const declared = await upload(owner, big)
    expect(declared.status, declared.text).toBe(413)
    expect(declared.body.error.code).toBe('payload_too_large')
    let sent = 0
    const chunk = new Uint8Array(1024 * 1024)
    const streamed = await upload(
      owner,
      new ReadableStream<Uint8Array>({
        pull(controller) {
          if (sent >= 6) return controller.close()
          sent += 1
          controller.enqueue(chunk)
        },
      }),
    )
    expect(streamed.status, streamed.text).toBe(413)
    const mine = await api('/v1/media', { token: owner.token })
    expect(mine.body.items, mine.text).toEqual([])
  })

  it('stores a hostile SVG sanitized, with its regions mapped as the seed describes', async () => {
    const owner = await registerPlayer('up')
    const res = await upload(owner, HOSTILE_SVG, '?filename=leaf.svg', 'image/svg+xml')
    expect(res.status, res.text).toBe(201)
    expect(res.body).toMatchObject({
      media_type: 'svg',
      mime_type: 'image/svg+xml',
      width: 100,
      height: 50,
      svg_regions_count: 3,
    })
    expect(res.body.svg_region_mapping.region_1).toEqual({
      svg_path: 'rect#leaf',
      neighbors: ['region_2'],
      default_color: '#00FF00',
    })
    const stored = await content(owner, res.body.id)
    expect(stored.headers.get('Content-Security-Policy')).toContain("default-src 'none'")
    expect(stored.headers.get('X-Content-Type-Options')).toBe('nosniff')
    const svg = await stored.text()
    for (const forbidden of ['<script', 'onload', 'onclick', 'evil.example', 'javascript']) {
      expect(svg, svg).not.toContain(forbidden)
    }
    expect(res.body.file_size_bytes).toBe(new TextEncoder().encode(svg).byteLength)
  })

  it('stores audio with its length from the header, and serves byte ranges for seeking', async () => {
    const owner = await registerPlayer('up')
    const wav = wavOf(2)
    const res = await upload(owner, wav, '?filename=hoot.mp3', 'audio/mpeg')
    expect(res.status, res.text).toBe(201)
    expect(res.body).toMatchObject({
      media_type: 'audio',
      mime_type: 'audio/wav',
      duration_seconds: 2,
      width: null,
      file_size_bytes: wav.byteLength,
    })
    const part = await content(owner, res.body.id, { Range: 'bytes=0-99' })
    expect(part.status).toBe(206)
    expect(part.headers.get('Content-Range')).toBe(`bytes 0-99/${wav.byteLength}`)
    expect(new Uint8Array(await part.arrayBuffer())).toEqual(wav.slice(0, 100))
  })

  it('refuses what is not an accepted type (415), an unreadable image (415) and an empty body', async () => {
    const owner = await registerPlayer('up')
    const text = await upload(
      owner,
      'just some text, not a picture',
      '?filename=a.png',
      'image/png',
    )
    expect(text.status, text.text).toBe(415)
    expect(text.body.error.code).toBe('unsupported_media_type')
    const truncated = await upload(owner, bytesOf(PNG_64x48).slice(0, 12))
    expect(truncated.status, truncated.text).toBe(415)
    const unsafe = await upload(
      owner,
      '<!DOCTYPE svg [<!ENTITY a "a">]><svg xmlns="http://www.w3.org/2000/svg"/>',
    )
    expect(unsafe.status, unsafe.text).toBe(415)
    const empty = await upload(owner, new Uint8Array(0))
    expect(empty.status, empty.text).toBe(400)
    const mine = await api('/v1/media', { token: owner.token })
    expect(mine.body.items, mine.text).toEqual([])
  })

  it('refuses an upload without a token', async () => {
    const res = await SELF.fetch('http://nexus.test/v1/media', {
      method: 'POST',
      body: bytesOf(PNG_64x48),
    })
    expect(res.status).toBe(401)
  })
})

describe('GET /v1/media/{id}', () => {
  it("never shows another player's pending media, and shows it once approved, with caching headers", async () => {
    const owner = await registerPlayer('up')
    const other = await registerPlayer('see')
    const mod = await registerModerator()
    const { body: media } = await upload(owner, bytesOf(PNG_64x48))
    for (const path of [`/v1/media/${media.id}`, `/v1/media/${media.id.toUpperCase()}`]) {
      const res = await api(path, { token: other.token })
      expect(res.status, res.text).toBe(404)
    }
    expect((await content(other, media.id)).status).toBe(404)
    const own = await api(`/v1/media/${media.id}`, { token: owner.token })
    expect(own.status, own.text).toBe(200)
    expect((await api(`/v1/media/${media.id}`, { token: mod.token })).status).toBe(200)
    const pending = await content(owner, media.id)
    expect(pending.headers.get('Cache-Control')).toBe('private, no-cache')
    await pending.arrayBuffer()

    await approve(mod, media.id)
    const seen = await api(`/v1/media/${media.id}`, { token: other.token })
    expect(seen.status, seen.text).toBe(200)
    expect(seen.body.moderation_status).toBe('approved')
    const served = await content(other, media.id)
    expect(served.status).toBe(200)
    expect(served.headers.get('Cache-Control')).toBe('private, max-age=3600')
    const etag = served.headers.get('ETag')!
    expect(etag).toBeTruthy()
    await served.arrayBuffer()
    const again = await content(other, media.id, { 'If-None-Match': etag })
    expect(again.status).toBe(304)
  })

  it('hides approved media between a blocked pair', async () => {
    const owner = await registerPlayer('up')
    const other = await registerPlayer('see')
    const { body: media } = await upload(owner, bytesOf(PNG_64x48))
    await approve(await registerModerator(), media.id)
    const block = await api('/v1/social/blocks', {
      token: owner.token,
      body: { user_id: other.id },
    })
    expect(block.status, block.text).toBe(201)
    expect((await api(`/v1/media/${media.id}`, { token: other.token })).status).toBe(404)
  })

  it('refuses a malformed id with 400', async () => {
    const owner = await registerPlayer('up')
    const res = await api('/v1/media/not-a-uuid', { token: owner.token })
    expect(res.status, res.text).toBe(400)
  })
})

describe('GET /v1/media', () => {
  it("lists only the caller's uploads, newest first, and refuses a forged cursor", async () => {
    const owner = await registerPlayer('up')
    const other = await registerPlayer('up')
    const first = await upload(owner, bytesOf(PNG_64x48))
    const second = await upload(owner, bytesOf(JPEG_123x45))
    await upload(other, bytesOf(PNG_64x48))
    const page = await api('/v1/media?limit=1', { token: owner.token })
    expect(
      page.body.items.map((m: any) => m.id),
      page.text,
    ).toEqual([second.body.id])
    const next = await api(`/v1/media?limit=1&cursor=${page.body.next_cursor}`, {
      token: owner.token,
    })
    expect(
      next.body.items.map((m: any) => m.id),
      next.text,
    ).toEqual([first.body.id])
    const forged = await api('/v1/media?cursor=eyJ0IjoiYSJ9', { token: owner.token })
    expect(forged.status, forged.text).toBe(400)
  })
})

describe('DELETE /v1/media/{id}', () => {
  it("deletes one's own upload and its bytes, and not someone else's", async () => {
    const owner = await registerPlayer('up')
    const other = await registerPlayer('up')
    const { body: media } = await upload(owner, bytesOf(PNG_64x48))
    const refused = await api(`/v1/media/${media.id}`, { method: 'DELETE', token: other.token })
    expect(refused.status, refused.text).toBe(404)
    const deleted = await api(`/v1/media/${media.id}`, { method: 'DELETE', token: owner.token })
    expect(deleted.status, deleted.text).toBe(204)
    expect((await content(owner, media.id)).status).toBe(404)
  })
})
