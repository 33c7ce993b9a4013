import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SOURCE_CLASSES, sourceClassOf, unknownClassMessage } from '../../src/shared/classes';

describe('source classes', () => {
  it("are the shipped model card's classes, in its order", () => {
    const card = JSON.parse(readFileSync(path.join('resources', 'models', 'default', 'card.json'), 'utf8')) as { classes: string[] };
    expect([...SOURCE_CLASSES]).toEqual(card.classes);
  });

  it('read a user word in any case, with speech, voice and dialogue meaning speaker; anything else is none', () => {
    expect(sourceClassOf('Guitar')).toBe('guitar');
    expect(sourceClassOf(' DRUMS ')).toBe('drums');
    for (const w of ['speech', 'Voice', 'DIALOGUE', 'speaker']) expect(sourceClassOf(w)).toBe('speaker');
    for (const w of ['', 'kazoo', 'guitars', 'constructor', '__proto__', 'toString']) expect(sourceClassOf(w)).toBeNull();
    expect(unknownClassMessage('kazoo')).toBe(
      "'kazoo' is not a sound class Stemsight knows; use one of guitar, violin, trumpet, saxophone, piano, accordion, banjo, flute, drums, speaker (or speech, voice, dialogue for speaker)",
    );
  });
});
