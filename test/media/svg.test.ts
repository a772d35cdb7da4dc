import { describe, expect, it } from 'vitest'
import { parseTransform, sanitizeSvg, SvgRejected } from '../../functions/media/svg'
import { HOSTILE_SVG } from './fixtures'

describe('sanitizeSvg', () => {
  it('keeps shapes and drops scripts, handlers, external references and foreign elements', () => {
    const result = sanitizeSvg(HOSTILE_SVG)
    const out = result.svg
    for (const forbidden of [
      '<script',
      'onload',
      'onclick',
      'evil.example',
      '<style',
      'foreignObject',
      'iframe',
      '<image',
      'javascript',
      '<animate',
      '<set',
      'onmouseover',
      '<!--',
      '<?php',
      'background',
    ]) {
      expect(out, `${forbidden} in ${out}`).not.toContain(forbidden)
    }
    expect(out).toContain('<rect id="leaf"')
    expect(out).toContain('style="fill:#8B4513;stroke:url(#grad)"')
    expect(out).toContain('<use href="#leaf">')
    expect(out).toContain('a &lt;b&gt; &amp; c')
    expect(out.startsWith('<svg ')).toBe(true)
    expect(result.width).toBe(100)
    expect(result.height).toBe(50)
  })

  it('maps regions as the seed describes: svg_path, neighbors and default_color', () => {
    const result = sanitizeSvg(HOSTILE_SVG)
    expect(result.regions_count).toBe(3)
    expect(result.regions.region_1).toEqual({
      svg_path: 'rect#leaf',
      neighbors: ['region_2'],
      default_color: '#00FF00',
    })
    expect(result.regions.region_2).toEqual({
      svg_path: 'rect#region-2',
      neighbors: ['region_1'],
      default_color: '#8B4513',
    })
    // The circle is far away: no neighbours; its fill was an external url, so the default colour.
    expect(result.regions.region_3).toEqual({
      svg_path: 'circle#region-3',
      neighbors: [],
      default_color: '#FFFFFF',
    })
    expect(result.svg).toContain('id="region-2"')
  })

  it('applies group transforms and inherited fills to regions', () => {
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 300 100">
      <g fill="#123456" transform="translate(100 0)"><path id="p" d="M0 0 H 50 V 50 H 0 Z"/></g>
      <rect id="r" x="150" y="0" width="20" height="20" fill="blue"/>
      <defs><rect id="hidden" width="5" height="5"/></defs>
    </svg>`
    const result = sanitizeSvg(svg)
    expect(result.regions_count).toBe(2)
    expect(result.regions.region_1).toEqual({
      svg_path: 'path#p',
      neighbors: ['region_2'],
      default_color: '#123456',
    })
    expect(result.regions.region_2.default_color).toBe('#0000FF')
    expect(result.width).toBe(300)
  })

  it('refuses a DOCTYPE, a non-SVG root and malformed XML', () => {
    const billionLaughs = `<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]>
      <svg xmlns="http://www.w3.org/2000/svg"><text>&b;</text></svg>`
    expect(() => sanitizeSvg(billionLaughs)).toThrow(SvgRejected)
    expect(() => sanitizeSvg('<html xmlns="http://www.w3.org/1999/xhtml"/>')).toThrow(/root/)
    expect(() => sanitizeSvg('<svg xmlns="http://www.w3.org/2000/svg"><rect></svg>')).toThrow(
      SvgRejected,
    )
  })

  it('composes transforms in document order', () => {
    const m = parseTransform('translate(10 20) scale(2)')
    expect(m).toEqual([2, 0, 0, 2, 10, 20])
  })
})
