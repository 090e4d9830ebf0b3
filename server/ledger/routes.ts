import { and, asc, eq, gt, inArray, type SQL } from 'drizzle-orm';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Db } from '../../db/client';
import { appeals, ledgerAccounts, type LedgerAccount } from '../../db/schema/index';
import { accountAppealColumns, appealOfAccount } from './appeal-of-account';
import { isPlatformTreasurer, organizationsWithRole, requireAccountTreasurer, requireViewer } from '../auth/permissions';
import { AppError } from '../errors';
import { errorResponses } from '../plugins/openapi';
import { LedgerError } from './errors';
import { accountIdParams, ledgerAccountSchema, listAccountsQuery, statementQuery, statementSchema } from './schemas';
import { statement } from './statement';
import { dayEndIn, dayStartIn } from './zone-day';

type NamedAccount = { a: LedgerAccount; appeal: { slug: string | null; title: string | null; language: string | null } | null };

/** Accounts with the appeal each holds money for, if it is an appeal's. */
const accountsNamed = (db: Db) => db.select({ a: ledgerAccounts, appeal: accountAppealColumns }).from(ledgerAccounts).leftJoin(appeals, appealOfAccount);

const toApi = ({ a, appeal }: NamedAccount) => ({
  id: a.id.toString(),
  code: a.code,
  name: a.name,
  currency: a.currency,
  type: a.type,
  allowNegative: a.allowNegative,
  balanceMinor: a.balanceMinor.toString(),
  entryCount: a.entryCount.toString(),
  appeal: appeal?.slug && appeal.title && appeal.language ? { slug: appeal.slug, title: appeal.title, language: appeal.language } : null,
});

/**
 * Read-only ledger for treasurers. The platform's treasurers (the treasurer role on the platform
 * organization: PLATFORM_ORGANIZATION, or the only top-level one) see every account, Stripe's
 * shared balances included; an organization's treasurers see the accounts of the organizations they hold the role in (its appeals' money).
 */
export const ledgerRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/api/ledger/accounts',
    {
      schema: {
        tags: ['ledger'],
        summary: 'Ledger accounts with their balances (treasurers)',
        querystring: listAccountsQuery,
        response: { 200: z.object({ accounts: z.array(ledgerAccountSchema), nextAfter: z.string().nullable() }), ...errorResponses },
      },
    },
    async (req) => {
      const { currency, type, limit, after } = req.query;
      const where: (SQL | undefined)[] = [
        currency ? eq(ledgerAccounts.currency, currency) : undefined,
        type ? eq(ledgerAccounts.type, type) : undefined,
        after ? gt(ledgerAccounts.id, BigInt(after)) : undefined,
      ];
      const viewer = requireViewer(await req.viewer());
      if (!(await isPlatformTreasurer(app.database.db, app.platform, viewer))) {
        const own = await organizationsWithRole(app.database.db, viewer, 'treasurer');
        if (own.length === 0) throw new AppError(403, 'auth.forbidden', 'This needs the treasurer role in an organization.');
        where.push(inArray(ledgerAccounts.organizationId, own));
      }
      const rows = await accountsNamed(app.database.db).where(and(...where)).orderBy(asc(ledgerAccounts.id)).limit(limit);
      return { accounts: rows.map(toApi), nextAfter: rows.length === limit ? rows.at(-1)!.a.id.toString() : null };
    },
  );

  app.get(
    '/api/ledger/accounts/:id/statement',
    {
      schema: {
        tags: ['ledger'],
        summary: "An account's entries, newest first, with the running balance (treasurers)",
        params: accountIdParams,
        querystring: statementQuery,
        response: { 200: statementSchema, ...errorResponses },
      },
    },
    async (req) => {
      const id = BigInt(req.params.id);
      // Who is asking first: an anonymous caller learns nothing, not even which accounts exist.
      const viewer = requireViewer(await req.viewer());
      const [account] = await accountsNamed(app.database.db).where(eq(ledgerAccounts.id, id));
      if (!account) throw new LedgerError('ledger.unknown_account', `No ledger account ${id}.`);
      await requireAccountTreasurer(app.database.db, app.platform, viewer, account.a.organizationId);
      const { from, to, zone, cursor, limit } = req.query;
      if (from && to && from > to) {
        throw new AppError(400, 'ledger.statement_dates_reversed', '`from` must not be after `to`.', [{ path: '/from', message: 'must not be after `to`' }]);
      }
      const page = await statement(app.database.db, id, {
        cursor,
        limit,
        // Days of the treasurer's calendar, not UTC's: Tokyo's 7th starts at 15:00 UTC on the 6th.
        from: from ? dayStartIn(from, zone) : undefined,
        // Through the end of the `to` day.
        to: to ? dayEndIn(to, zone) : undefined,
      });
      return {
        account: toApi(account),
        nextCursor: page.nextCursor,
        lines: page.lines.map((l) => ({
          entryId: l.entryId.toString(),
          transactionId: l.transactionId.toString(),
          idempotencyKey: l.idempotencyKey,
          kind: l.kind,
          description: l.description,
          occurredAt: l.occurredAt.toISOString(),
          postedAt: l.postedAt.toISOString(),
          amountMinor: l.amountMinor.toString(),
          balanceAfterMinor: l.balanceAfterMinor.toString(),
          donationId: l.donationId,
          appeal: l.appeal,
        })),
      };
    },
  );
};
