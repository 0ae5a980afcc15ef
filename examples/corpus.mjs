// A text corpus made on the spot (the text-generation example and its browser panel): sentences from
// a small grammar, "The old fox follows a red ball by the sea.", one or two to a line. Nothing is
// downloaded, the text is the same on every platform for a seed, and a model that has learnt it
// writes words that are in `corpusWords` (how the example tells learning from noise).
import { prng } from './prng.mjs';

const SUBJECTS = ['the cat', 'a dog', 'the old fox', 'my sister', 'the little bird', 'a farmer', 'the king', 'our teacher'];
const VERBS = ['sees', 'likes', 'finds', 'chases', 'follows', 'hears', 'paints', 'forgets'];
const OBJECTS = ['the moon', 'a red ball', 'the river', 'an apple', 'the green hill', 'a song', 'the old bell', 'a small boat'];
const PLACES = ['at night', 'in the rain', 'every day', 'by the sea', 'after school', 'in winter'];

/** Every word the grammar uses (lower case). */
export const corpusWords = new Set([...SUBJECTS, ...VERBS, ...OBJECTS, ...PLACES].flatMap(p => p.split(' ')));

/** About `chars` characters of text: lines of one or two sentences, joined by "and" or a full stop. */
export function makeCorpus(chars, seed = 1) {
  const random = prng(seed), pick = (list) => list[Math.floor(random() * list.length)];
  const clause = () => `${pick(SUBJECTS)} ${pick(VERBS)} ${pick(OBJECTS)}${random() < 0.5 ? ` ${pick(PLACES)}` : ''}`;
  const capital = (s) => s[0].toUpperCase() + s.slice(1);
  let text = '';
  while (text.length < chars) {
    const second = random();
    const line = second < 0.3 ? `${clause()} and ${clause()}.` : second < 0.6 ? `${capital(clause())}. ${capital(clause())}.` : `${clause()}.`;
    text += capital(line) + '\n';
  }
  return text;
}

/** The share of the words in `text` (split at spaces and punctuation) that the grammar uses. */
export function knownWordShare(text) {
  const words = text.toLowerCase().split(/[^a-z]+/).filter(Boolean);
  return words.length === 0 ? 0 : words.filter(w => corpusWords.has(w)).length / words.length;
}
