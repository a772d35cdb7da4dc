/**
 * Safe SVG: an uploaded SVG is parsed with a real XML parser (saxes: strict, namespace-aware,
 * streaming, no entity expansion beyond XML's five, no network) and written out again from an
 * allowlist, so what is stored and served can run nothing and load nothing:
 * - elements: shapes, groups, gradients, clip paths, masks, patterns, markers, text and `use`;
 *   anything else (`script`, `foreignObject`, `style`, `image`, animation, `iframe`, unknown or
 *   other-namespace elements) is dropped with everything inside it; `a` is unwrapped (its link
 *   goes, its shapes stay);
 * - attributes: presentation and geometry attributes only; every `on*` handler and unknown
 *   attribute is dropped; `href` / `xlink:href` only as a same-document `#id`; any `url(...)`
 *   only as `url(#id)`; `style` keeps only allowed properties with safe values;
 * - a DOCTYPE (entity declarations: the billion-laughs door), comments and processing
 *   instructions are not kept; a DOCTYPE refuses the file.
 *
 * Regions (the seed's `svg_region_mapping`, "O(1) region access" for colouring): every fillable
 * shape (path, rect, circle, ellipse, polygon, polyline) is a region `region_N` in document
 * order, with `svg_path` = `tag#id` (a shape without an id gets `region-N`), `default_color` =
 * its effective fill as `#RRGGBB` (inherited from its groups; `#FFFFFF` when none or not a
 * colour), and `neighbors` = the regions whose bounding boxes (transforms applied) touch or
 * overlap its own: an approximation of adjacency that needs no geometry engine.
 */
import { SaxesParser, type SaxesAttributeNS, type SaxesTagNS } from 'saxes'
import { svgPathBbox } from 'svg-path-bbox'

const SVG_NS = 'http://www.w3.org/2000/svg'
const XLINK_NS = 'http://www.w3.org/1999/xlink'
const XML_NS = 'http://www.w3.org/XML/1998/namespace'

/** The words of a space-separated list. */
const words = (list: string) => list.split(' ')

/** Regions an SVG may have (the neighbour computation is quadratic). */
export const MAX_SVG_REGIONS = 2_000

const KEPT_ELEMENTS = new Set(
  words(
    'svg g defs title desc symbol use path rect circle ellipse line polyline polygon text ' +
      'tspan textPath linearGradient radialGradient stop clipPath mask pattern marker',
  ),
)
/** Dropped as a tag but kept as content. */
const UNWRAPPED_ELEMENTS = new Set(['a'])
const REGION_SHAPES = new Set(['path', 'rect', 'circle', 'ellipse', 'polygon', 'polyline'])

const PRESENTATION = words(
  'fill fill-opacity fill-rule stroke stroke-width stroke-opacity stroke-linecap ' +
    'stroke-linejoin stroke-miterlimit stroke-dasharray stroke-dashoffset opacity ' +
    'stop-color stop-opacity clip-path clip-rule mask font-family font-size font-weight ' +
    'font-style text-anchor dominant-baseline letter-spacing visibility display color ' +
    'vector-effect paint-order marker-start marker-mid marker-end shape-rendering',
)
const KEPT_ATTRIBUTES = new Set([
  ...PRESENTATION,
  ...words(
    'id class d x y x1 y1 x2 y2 cx cy r rx ry fx fy fr width height points transform ' +
      'viewBox preserveAspectRatio offset gradientUnits gradientTransform spreadMethod ' +
      'patternUnits patternContentUnits patternTransform clipPathUnits maskUnits ' +
      'maskContentUnits dx dy rotate textLength lengthAdjust markerWidth markerHeight refX ' +
      'refY orient markerUnits version baseProfile pathLength startOffset style href',
  ),
])
const STYLE_PROPERTIES = new Set(PRESENTATION)

/** A region of the seed's `svg_region_mapping`. */
export interface SvgRegion {
  svg_path: string
  neighbors: string[]
  default_color: string
}

/** The sanitized document and its regions. */
export interface SanitizedSvg {
  svg: string
  width: number | null
  height: number | null
  regions: Record<string, SvgRegion>
  regions_count: number
}

/** Why an SVG was refused. */
export class SvgRejected extends Error {}

type Matrix = [number, number, number, number, number, number]
const IDENTITY: Matrix = [1, 0, 0, 1, 0, 0]
type Box = [minX: number, minY: number, maxX: number, maxY: number]

interface Frame {
  /** null: this element is dropped (and so is everything inside it). */
  name: string | null
  fill: string | undefined
  matrix: Matrix
}

const escapeText = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
const escapeAttribute = (text: string) => escapeText(text).replace(/"/g, '&quot;')

const URL_REFERENCE = /url\s*\(\s*(['"]?)([^)'"]*)\1\s*\)/gi

/** A value is safe when every url() in it is a same-document reference and it names no scheme. */
function isSafeValue(value: string): boolean {
  const lower = value.toLowerCase()
  if (/(javascript|vbscript|data)\s*:/.test(lower) || lower.includes('expression(')) return false
  if (lower.includes('@import') || value.includes('\\')) return false
  const references = [...value.matchAll(URL_REFERENCE)]
  // A url( the pattern could not read (unbalanced, odd quoting) is refused too.
  if (references.length !== (lower.match(/url\s*\(/g) ?? []).length) return false
  return references.every((match) => match[2].trim().startsWith('#'))
}

/** The allowed declarations of a `style` attribute, or null when none is left. */
function sanitizeStyle(style: string): string | null {
  const kept: string[] = []
  for (const declaration of style.split(';')) {
    const colon = declaration.indexOf(':')
    if (colon < 0) continue
    const property = declaration.slice(0, colon).trim().toLowerCase()
    const value = declaration.slice(colon + 1).trim()
    if (STYLE_PROPERTIES.has(property) && value.length > 0 && isSafeValue(value)) {
      kept.push(`${property}:${value}`)
    }
  }
  return kept.length > 0 ? kept.join(';') : null
}

/** The fill a `style` attribute sets, if any. */
function styleFill(style: string | undefined): string | undefined {
  const match = style?.match(/(?:^|;)\s*fill\s*:\s*([^;]+)/i)
  return match?.[1].trim()
}

function normalizeColor(fill: string | undefined): string {
  const value = fill?.trim().toLowerCase()
  if (!value) return '#FFFFFF'
  if (/^#[0-9a-f]{6}$/.test(value)) return value.toUpperCase()
  if (/^#[0-9a-f]{3}$/.test(value)) {
    return `#${[...value.slice(1)].map((c) => c + c).join('')}`.toUpperCase()
  }
  const named: Record<string, string> = {
    black: '#000000',
    white: '#FFFFFF',
    red: '#FF0000',
    green: '#008000',
    blue: '#0000FF',
    yellow: '#FFFF00',
    brown: '#A52A2A',
    gray: '#808080',
    grey: '#808080',
    orange: '#FFA500',
    purple: '#800080',
    pink: '#FFC0CB',
  }
  return named[value] ?? '#FFFFFF'
}

const numbersIn = (text: string | undefined) =>
  (text?.match(/[-+]?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?/gi) ?? []).map(Number)

function multiply(a: Matrix, b: Matrix): Matrix {
  return [
    a[0] * b[0] + a[2] * b[1],
    a[1] * b[0] + a[3] * b[1],
    a[0] * b[2] + a[2] * b[3],
    a[1] * b[2] + a[3] * b[3],
    a[0] * b[4] + a[2] * b[5] + a[4],
    a[1] * b[4] + a[3] * b[5] + a[5],
  ]
}

/** The matrix of a `transform` attribute (unknown functions are ignored). */
export function parseTransform(transform: string | undefined): Matrix {
  let matrix = IDENTITY
  for (const match of transform?.matchAll(
    /(matrix|translate|scale|rotate|skewX|skewY)\s*\(([^)]*)\)/g,
  ) ?? []) {
    const n = numbersIn(match[2])
    let step: Matrix = IDENTITY
    switch (match[1]) {
      case 'matrix':
        if (n.length === 6) step = n as Matrix
        break
      case 'translate':
        step = [1, 0, 0, 1, n[0] ?? 0, n[1] ?? 0]
        break
      case 'scale':
        step = [n[0] ?? 1, 0, 0, n[1] ?? n[0] ?? 1, 0, 0]
        break
      case 'rotate': {
        const angle = ((n[0] ?? 0) * Math.PI) / 180
        const [cx, cy] = [n[1] ?? 0, n[2] ?? 0]
        const cos = Math.cos(angle)
        const sin = Math.sin(angle)
        step = multiply(multiply([1, 0, 0, 1, cx, cy], [cos, sin, -sin, cos, 0, 0]), [
          1,
          0,
          0,
          1,
          -cx,
          -cy,
        ])
        break
      }
      case 'skewX':
        step = [1, 0, Math.tan(((n[0] ?? 0) * Math.PI) / 180), 1, 0, 0]
        break
      case 'skewY':
        step = [1, Math.tan(((n[0] ?? 0) * Math.PI) / 180), 0, 1, 0, 0]
        break
    }
    matrix = multiply(matrix, step)
  }
  return matrix
}

/** A shape's bounding box in its own coordinates, or null when it has no usable geometry. */
function shapeBox(name: string, attrs: Record<string, string>): Box | null {
  const num = (key: string) => Number.parseFloat(attrs[key] ?? '0') || 0
  try {
    switch (name) {
      case 'rect':
        return [num('x'), num('y'), num('x') + num('width'), num('y') + num('height')]
      case 'circle':
        return [
          num('cx') - num('r'),
          num('cy') - num('r'),
          num('cx') + num('r'),
          num('cy') + num('r'),
        ]
      case 'ellipse':
        return [
          num('cx') - num('rx'),
          num('cy') - num('ry'),
          num('cx') + num('rx'),
          num('cy') + num('ry'),
        ]
      case 'polygon':
      case 'polyline': {
        const n = numbersIn(attrs.points)
        if (n.length < 2) return null
        const xs = n.filter((_, i) => i % 2 === 0)
        const ys = n.filter((_, i) => i % 2 === 1)
        return [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)]
      }
      case 'path': {
        if (!attrs.d) return null
        const box = svgPathBbox(attrs.d)
        return box.every(Number.isFinite) ? box : null
      }
    }
  } catch {
    return null
  }
  return null
}

function transformBox(box: Box, m: Matrix): Box {
  const corners = [
    [box[0], box[1]],
    [box[2], box[1]],
    [box[0], box[3]],
    [box[2], box[3]],
  ].map(([x, y]) => [m[0] * x + m[2] * y + m[4], m[1] * x + m[3] * y + m[5]])
  const xs = corners.map((c) => c[0])
  const ys = corners.map((c) => c[1])
  return [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)]
}

const touches = (a: Box, b: Box, tolerance: number) =>
  a[0] <= b[2] + tolerance &&
  b[0] <= a[2] + tolerance &&
  a[1] <= b[3] + tolerance &&
  b[1] <= a[3] + tolerance

/** An attribute's local name as written out (`xlink:href` is written `href`, SVG 2). */
function keptAttributeName(attribute: SaxesAttributeNS): string | null {
  if (attribute.uri === XML_NS && attribute.local === 'space') return 'xml:space'
  if (attribute.uri === XLINK_NS && attribute.local === 'href') return 'href'
  if (attribute.uri !== '' || attribute.prefix === 'xmlns' || attribute.name === 'xmlns')
    return null
  return KEPT_ATTRIBUTES.has(attribute.local) ? attribute.local : null
}

/** A streaming sanitizer: `write` text as it arrives, then `close`. */
export class SvgSanitizer {
  private readonly parser = new SaxesParser({ xmlns: true, position: false })
  private readonly out: string[] = []
  private readonly stack: Frame[] = []
  private readonly ids = new Set<string>()
  private readonly regionIds: string[] = []
  private readonly regionBoxes: (Box | null)[] = []
  private readonly regions: Record<string, SvgRegion> = {}
  private rootSeen = false
  private width: number | null = null
  private height: number | null = null
  private viewBox: number[] = []
  private error: Error | null = null

  constructor() {
    this.parser.on('error', (error) => {
      this.error ??= new SvgRejected(`not well-formed XML: ${error.message}`)
    })
    this.parser.on('doctype', () => {
      this.error ??= new SvgRejected('an SVG with a DOCTYPE is not accepted')
    })
    this.parser.on('opentag', (tag) => this.open(tag as SaxesTagNS))
    this.parser.on('closetag', (tag) => this.close(tag as SaxesTagNS))
    this.parser.on('text', (text) => this.text(text))
    this.parser.on('cdata', (text) => this.text(text))
  }

  /** Feeds the next piece of the document. */
  write(chunk: string): void {
    if (this.error) throw this.error
    this.parser.write(chunk)
    if (this.error) throw this.error
  }

  /** Ends the document; answers the sanitized SVG and its regions. */
  finish(): SanitizedSvg {
    if (!this.error) this.parser.close()
    if (this.error) throw this.error
    if (!this.rootSeen) throw new SvgRejected('the document is not an SVG (no <svg> root)')
    this.mapNeighbors()
    const width = this.width ?? (this.viewBox.length === 4 ? this.viewBox[2] : null)
    const height = this.height ?? (this.viewBox.length === 4 ? this.viewBox[3] : null)
    return {
      svg: this.out.join(''),
      width: width === null ? null : Math.round(width),
      height: height === null ? null : Math.round(height),
      regions: this.regions,
      regions_count: this.regionIds.length,
    }
  }

  private open(tag: SaxesTagNS): void {
    const parent = this.stack.at(-1)
    const inSvg = tag.uri === SVG_NS || tag.uri === ''
    if (!this.rootSeen) {
      if (!inSvg || tag.local !== 'svg') {
        this.error ??= new SvgRejected('the root element is not <svg>')
        this.stack.push({ name: null, fill: undefined, matrix: IDENTITY })
        return
      }
      this.rootSeen = true
    }
    if (parent && parent.name === null) {
      this.stack.push({ name: null, fill: undefined, matrix: IDENTITY })
      return
    }
    const inherited = parent ?? { fill: undefined, matrix: IDENTITY }
    if (inSvg && UNWRAPPED_ELEMENTS.has(tag.local)) {
      // Written as nothing; its children are written in its parent.
      this.stack.push({ name: '', fill: inherited.fill, matrix: inherited.matrix })
      return
    }
    if (!inSvg || !KEPT_ELEMENTS.has(tag.local)) {
      this.stack.push({ name: null, fill: undefined, matrix: IDENTITY })
      return
    }
    const attrs: Record<string, string> = {}
    for (const attribute of Object.values(tag.attributes) as SaxesAttributeNS[]) {
      const name = keptAttributeName(attribute)
      if (name === null) continue
      let value: string | null = attribute.value
      if (name === 'href') {
        if (!value.trim().startsWith('#')) continue
      } else if (name === 'style') {
        value = sanitizeStyle(value)
      } else if (!isSafeValue(value)) {
        continue
      }
      if (value !== null) attrs[name] = value
    }
    if (attrs.id !== undefined) {
      if (this.ids.has(attrs.id)) delete attrs.id
      else this.ids.add(attrs.id)
    }
    const name = tag.local
    if (this.stack.length === 0) {
      attrs.xmlns = SVG_NS
      this.width = Number.parseFloat(attrs.width ?? '') || null
      this.height = Number.parseFloat(attrs.height ?? '') || null
      this.viewBox = numbersIn(attrs.viewBox)
    }
    const fill = styleFill(attrs.style) ?? attrs.fill ?? inherited.fill
    const matrix = multiply(inherited.matrix, parseTransform(attrs.transform))
    if (REGION_SHAPES.has(name) && !this.insideDefinitions())
      this.addRegion(name, attrs, fill, matrix)
    const written = Object.entries(attrs)
      .map(([key, value]) => ` ${key}="${escapeAttribute(value)}"`)
      .join('')
    this.out.push(`<${name}${written}>`)
    this.stack.push({ name, fill, matrix })
  }

  /** Shapes inside defs, clip paths, masks, patterns, markers and symbols are not drawn as regions. */
  private insideDefinitions(): boolean {
    return this.stack.some((frame) =>
      ['defs', 'clipPath', 'mask', 'pattern', 'marker', 'symbol'].includes(frame.name ?? ''),
    )
  }

  private addRegion(
    name: string,
    attrs: Record<string, string>,
    fill: string | undefined,
    matrix: Matrix,
  ) {
    if (this.regionIds.length >= MAX_SVG_REGIONS) {
      this.error ??= new SvgRejected(`an SVG may have at most ${MAX_SVG_REGIONS} regions`)
      return
    }
    const regionId = `region_${this.regionIds.length + 1}`
    if (attrs.id === undefined) {
      let generated = `region-${this.regionIds.length + 1}`
      while (this.ids.has(generated)) generated += '_'
      attrs.id = generated
      this.ids.add(generated)
    }
    const box = shapeBox(name, attrs)
    this.regionIds.push(regionId)
    this.regionBoxes.push(box && transformBox(box, matrix))
    this.regions[regionId] = {
      svg_path: `${name}#${attrs.id}`,
      neighbors: [],
      default_color: normalizeColor(fill),
    }
  }

  private close(_tag: SaxesTagNS): void {
    const frame = this.stack.pop()
    if (frame?.name) this.out.push(`</${frame.name}>`)
  }

  private text(text: string): void {
    const frame = this.stack.at(-1)
    if (!frame || frame.name === null) return
    this.out.push(escapeText(text))
  }

  private mapNeighbors(): void {
    const boxes = this.regionBoxes
    const all = boxes.filter((b): b is Box => b !== null)
    if (all.length === 0) return
    const extent = Math.max(
      Math.max(...all.map((b) => b[2])) - Math.min(...all.map((b) => b[0])),
      Math.max(...all.map((b) => b[3])) - Math.min(...all.map((b) => b[1])),
    )
    // Shapes drawn to touch rarely share exact coordinates: a thousandth of the drawing's size.
    const tolerance = extent / 1000
    for (let i = 0; i < boxes.length; i++) {
      const a = boxes[i]
      if (!a) continue
      for (let j = i + 1; j < boxes.length; j++) {
        const b = boxes[j]
        if (b && touches(a, b, tolerance)) {
          this.regions[this.regionIds[i]].neighbors.push(this.regionIds[j])
          this.regions[this.regionIds[j]].neighbors.push(this.regionIds[i])
        }
      }
    }
  }
}

/** Sanitizes a whole SVG document held as text (tests and small inputs). */
export function sanitizeSvg(text: string): SanitizedSvg {
  const sanitizer = new SvgSanitizer()
  sanitizer.write(text)
  return sanitizer.finish()
}
