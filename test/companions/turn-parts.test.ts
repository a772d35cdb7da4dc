/** The pure parts of a companion turn: the local responder, tool parsing, significance. */
import { describe, expect, it } from 'vitest'
import { emotionOf, significanceOf, turnQuality } from '../../functions/companions/remember'
import { localAnswer, requestedCommands, systemPrompt } from '../../functions/companions/responders'
import { parseToolCommands } from '../../functions/companions/tools'

const prompt = (message: string, memories: string[] = []) => ({
  companionName: 'Freya',
  personality: 'Warm.',
  memories: memories.map((text) => ({ text, similarity: 0.5 })),
  recent: [],
  message,
})

describe('the local responder', () => {
  it('quotes what it recalled, so recall visibly shapes the answer', () => {
    const answer = localAnswer(prompt('What is my dog called?', ['My dog is called Biscuit.']))
    expect(answer).toContain('“My dog is called Biscuit.”')
    expect(localAnswer(prompt('What is my dog called?'))).toContain("I don't know yet")
  })

  it('turns requests into tool commands and repeats written ones', () => {
    expect(requestedCommands('Please change the sky to sunset')).toEqual(["#setSky:'sunset'"])
    expect(requestedCommands('set the time to 18:30 please')).toEqual(["#setTimeOfDay:'18:30'"])
    expect(requestedCommands('can you let it snow?')).toEqual(["#setWeather:'snow'"])
    expect(requestedCommands('turn the lights to warm')).toEqual(["#setLighting:'warm'"])
    expect(requestedCommands("#setSky:'night' and #setWeather:'fog'")).toEqual([
      "#setSky:'night'",
      "#setWeather:'fog'",
    ])
    expect(requestedCommands('I love the sky')).toEqual([])
  })

  it('is deterministic', () => {
    const p = prompt('Make it sunset', ['We watched the sea'])
    expect(localAnswer(p)).toBe(localAnswer(p))
  })

  it('gives the model the personality, the memories and the tool syntax', () => {
    const text = systemPrompt(prompt('hi', ['Likes owls']))
    expect(text).toContain('Warm.')
    expect(text).toContain('- Likes owls')
    expect(text).toContain("#setSky:'<preset>'")
  })
})

describe('parseToolCommands', () => {
  it('reads every command of the seed form, in order', () => {
    expect(
      parseToolCommands("Setting the mood... #setSky:'sunset' then #setWeather:'rain'"),
    ).toEqual([
      { tool: 'setSky', args: 'sunset' },
      { tool: 'setWeather', args: 'rain' },
    ])
    expect(parseToolCommands('#setSky:sunset (no quotes) #setSky:"x"')).toEqual([])
  })
})

describe('significance and emotion', () => {
  it('scores personal, emotional messages above small talk, within bounds', () => {
    const personal = significanceOf('My dog is called Biscuit and I love him so much!')
    const smallTalk = significanceOf('ok')
    expect(personal).toBeGreaterThan(0.5)
    expect(smallTalk).toBeLessThan(0.2)
    expect(significanceOf('x '.repeat(5000))).toBeLessThanOrEqual(0.95)
    expect(emotionOf('I hate this, it is awful').valence).toBe(-1)
    expect(emotionOf('hello').intensity).toBe(0)
  })

  it('rates a turn higher when memory helped and lower when a command was refused', () => {
    const base = { message: 'Tell me about the beach', recalled: 0, outcomes: [] }
    const refused = {
      tool: 'setSky',
      args: 'x',
      status: 'refused' as const,
      reason: 'forbidden',
      message: null,
      instance_id: null,
    }
    expect(turnQuality({ ...base, recalled: 2 })).toBeGreaterThan(turnQuality(base))
    expect(turnQuality({ ...base, outcomes: [refused] })).toBeLessThan(turnQuality(base))
  })
})
