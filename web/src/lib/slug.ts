/**
 * "Buck-a-Brick: a hall!" → "buck-a-brick-a-hall"; letters outside a–z drop out (a Japanese title
 * gives ""). An address needs two characters: "第2回 春闘支援" leaves "2", which gives "" too, so a
 * launch falls back to a made-up address instead of refusing one its organizer never typed.
 */
export function slugFrom(title: string): string {
  const slug = title
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60)
    .replace(/-+$/, '');
  return slug.length >= 2 ? slug : '';
}
