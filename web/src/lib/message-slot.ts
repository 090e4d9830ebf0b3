/** Stands for the slot's value while the message is made: a private-use character no message holds. */
const slot = '\uE000';

/**
 * The reader's message split where one value goes (`message` is given a placeholder for it), so a
 * page can put that value in an element of its own: an appeal's title marked with the language it
 * is written in, inside a sentence in the reader's.
 */
export function aroundSlot(message: (value: string) => string): [before: string, after: string] {
  const [before = '', after = ''] = message(slot).split(slot);
  return [before, after];
}
