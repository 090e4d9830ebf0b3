import { and, getTableName, sql, type SQL } from 'drizzle-orm';
import type { PgColumn, PgTable } from 'drizzle-orm/pg-core';
import type { FastifyBaseLogger } from 'fastify';
import { queryRows, type Db } from '../../db/client';
import { appealTranslations, appealUpdateTranslations, appealUpdates, appeals } from '../../db/schema/index';
import { startPollLoop, type PollLoop } from '../poll-loop';
import { MarkdownTooDeep, markdownRenderVersion, renderMarkdown } from './markdown';

/*
 * Stories and updates are rendered to HTML when saved, so that a read never renders markdown; a
 * change to the renderer therefore reached only what was saved after it, and a story saved before
 * kept the old renderer's HTML until it was edited. Each rendered HTML records the renderer's
 * version, and this job renders again whatever an older version made.
 *
 * In the background, a batch at a time, never holding up start-up. Each batch is one short
 * transaction whose rows are claimed FOR NO KEY UPDATE SKIP LOCKED: several processes share the
 * work without doing a row twice, a row an organizer is editing right now is left to the edit
 * (which writes the current version itself), and an edit that comes meanwhile waits for the batch
 * and then writes over it, never the other way round. Not FOR UPDATE: that lock also conflicts with
 * the key-share lock a gift's insert takes on its appeal, so the poster's batches would wait on the
 * rendering (and an appeal receiving gifts would be skipped by it).
 */

interface RenderedMarkdown {
  table: PgTable;
  /** The row's key, as many columns as it has. */
  key: PgColumn[];
  markdown: PgColumn;
  html: PgColumn;
  version: PgColumn;
}

const rendered: RenderedMarkdown[] = [
  { table: appeals, key: [appeals.id], markdown: appeals.storyMarkdown, html: appeals.storyHtml, version: appeals.storyHtmlVersion },
  {
    table: appealTranslations,
    key: [appealTranslations.appealId, appealTranslations.language],
    markdown: appealTranslations.storyMarkdown,
    html: appealTranslations.storyHtml,
    version: appealTranslations.storyHtmlVersion,
  },
  { table: appealUpdates, key: [appealUpdates.id], markdown: appealUpdates.bodyMarkdown, html: appealUpdates.bodyHtml, version: appealUpdates.bodyHtmlVersion },
  {
    table: appealUpdateTranslations,
    key: [appealUpdateTranslations.updateId, appealUpdateTranslations.language],
    markdown: appealUpdateTranslations.bodyMarkdown,
    html: appealUpdateTranslations.bodyHtml,
    version: appealUpdateTranslations.bodyHtmlVersion,
  },
];

type StaleRow = Record<string, string>;

/** Markdown rendered by this version; null when this renderer refuses it (see below). */
function renderedNow(markdown: string): string | null {
  try {
    return renderMarkdown(markdown);
  } catch (err) {
    if (err instanceof MarkdownTooDeep) return null;
    throw err;
  }
}

/** Renders again up to `batchSize` rows of one table that an older renderer made; answers how many. */
async function renderAgain(db: Db, t: RenderedMarkdown, batchSize: number, log: FastifyBaseLogger): Promise<number> {
  return db.transaction(async (tx) => {
    const keys = sql.join(t.key.map((column, i) => sql`${column}::text AS ${sql.identifier(`k${i}`)}`), sql`, `);
    const rows = await queryRows<StaleRow>(
      tx,
      sql`SELECT ${keys}, ${t.markdown} AS markdown FROM ${t.table} WHERE ${t.version} < ${markdownRenderVersion} LIMIT ${batchSize} FOR NO KEY UPDATE SKIP LOCKED`,
    );
    for (const row of rows) {
      const html = renderedNow(row.markdown!);
      // Markdown saved once but refused by this renderer (nested past what it can draw) keeps the
      // HTML it was saved with, marked current all the same: tried again, it would hold up every
      // batch behind it, and the organizer's next edit is told why.
      if (html === null) log.warn({ table: getTableName(t.table), key: t.key.map((_, i) => row[`k${i}`]) }, 'saved markdown the renderer now refuses keeps its HTML');
      const set: SQL[] = [sql`${sql.identifier(t.version.name)} = ${markdownRenderVersion}`];
      if (html !== null) set.push(sql`${sql.identifier(t.html.name)} = ${html}`);
      const where = and(...t.key.map((column, i) => sql`${column} = ${row[`k${i}`]}`));
      await tx.execute(sql`UPDATE ${t.table} SET ${sql.join(set, sql`, `)} WHERE ${where}`);
    }
    return rows.length;
  });
}

/** One round over every table that keeps rendered markdown; answers whether a batch came back full. */
export async function renderStaleHtml(db: Db, opts: { batchSize: number; log: FastifyBaseLogger }): Promise<{ rendered: number; more: boolean }> {
  let total = 0;
  let more = false;
  let failed: unknown;
  for (const t of rendered) {
    try {
      const n = await renderAgain(db, t, opts.batchSize, opts.log);
      total += n;
      more ||= n === opts.batchSize;
    } catch (err) {
      // One table's failing batch must not keep the others' stale HTML until the next round.
      failed ??= err;
    }
  }
  if (failed !== undefined) throw failed;
  return { rendered: total, more };
}

export const staleHtmlDefaults = {
  batchSize: 50,
  /**
   * Rounds after the first, at start-up: a process of the version before, still running through a
   * rolling deploy, may save a story with its renderer after this one's first round ended.
   */
  pollMs: 10 * 60_000,
};

export function startStaleHtmlJob(deps: { db: Db; log: FastifyBaseLogger }, opts: Partial<typeof staleHtmlDefaults> = {}): PollLoop {
  const o = { ...staleHtmlDefaults, ...opts };
  return startPollLoop({
    name: 'stale story html',
    pollMs: o.pollMs,
    log: deps.log,
    wakeable: false,
    work: async () => {
      const round = await renderStaleHtml(deps.db, { batchSize: o.batchSize, log: deps.log });
      if (round.rendered > 0) deps.log.info({ rendered: round.rendered }, 'stories and updates rendered again by the current renderer');
      return { more: round.more };
    },
  });
}
