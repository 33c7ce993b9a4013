/**
 * The sound classes a source can be asked for by name: the shipped model card's `classes`, in its
 * order (a test keeps the two equal). One list for every front end: the CLI's `--source CLASS`,
 * the editor's "Add source by name" and its class menu, and main's checks of both.
 */
export const SOURCE_CLASSES = ['guitar', 'violin', 'trumpet', 'saxophone', 'piano', 'accordion', 'banjo', 'flute', 'drums', 'speaker'] as const;
export type SourceClass = (typeof SOURCE_CLASSES)[number];

/** How menus name the classes. */
export const CLASS_LABELS: Record<SourceClass, string> = {
  guitar: 'Guitar',
  violin: 'Violin',
  trumpet: 'Trumpet',
  saxophone: 'Saxophone',
  piano: 'Piano',
  accordion: 'Accordion',
  banjo: 'Banjo',
  flute: 'Flute',
  drums: 'Drums',
  speaker: 'Speech',
};

/** Words people use for a class the model calls otherwise. */
const CLASS_WORDS = new Map<string, SourceClass>([
  ['speech', 'speaker'],
  ['voice', 'speaker'],
  ['dialogue', 'speaker'],
]);

/** The class a user's word names (any case, synonyms included); null when it names none. */
export function sourceClassOf(word: string): SourceClass | null {
  const w = word.trim().toLowerCase();
  if ((SOURCE_CLASSES as readonly string[]).includes(w)) return w as SourceClass;
  return CLASS_WORDS.get(w) ?? null;
}

/** What a refused class name is told: every name there is. */
export function unknownClassMessage(word: string): string {
  return `'${word}' is not a sound class Stemsight knows; use one of ${SOURCE_CLASSES.join(', ')} (or speech, voice, dialogue for speaker)`;
}
