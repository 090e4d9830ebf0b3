import { randomUUID } from 'node:crypto';
import { count } from 'drizzle-orm';
import { markdownRenderVersion, renderMarkdown } from '../server/content/markdown';
import type { Db } from './client';
import { appealProgress, appeals, funds, memberships, organizations, users } from './schema/index';
import { demoAppeals, demoFund, demoOrganizations, demoPeople, type DemoOrgKey } from './seed-data';

/** Seeds the demo federation on an empty database; does nothing if any organization exists. */
export async function seedDemoData(db: Db): Promise<{ seeded: boolean }> {
  return db.transaction(async (tx) => {
    const [existing] = await tx.select({ n: count() }).from(organizations);
    if ((existing?.n ?? 0) > 0) return { seeded: false };
    const ids = new Map<DemoOrgKey, string>();
    for (const org of demoOrganizations) {
      const parentId = org.parent ? ids.get(org.parent) : undefined;
      const [row] = await tx
        .insert(organizations)
        .values({ slug: org.slug, name: org.name, kind: org.kind, country: org.country, defaultCurrency: org.defaultCurrency, parentId, isDemo: true })
        .returning({ id: organizations.id });
      ids.set(org.key, row!.id);
    }
    const now = Date.now();
    for (const [i, { org, ...appeal }] of demoAppeals.entries()) {
      const [row] = await tx
        .insert(appeals)
        .values({ ...appeal, storyHtml: renderMarkdown(appeal.storyMarkdown ?? ''), storyHtmlVersion: markdownRenderVersion, organizationId: ids.get(org)!, publishedAt: new Date(now - i * 60_000), deadlineAt: new Date(now + (60 - i * 30) * 86_400_000) })
        .returning({ id: appeals.id });
      await tx.insert(appealProgress).values({ appealId: row!.id });
    }
    const { org, ...fund } = demoFund;
    await tx.insert(funds).values({ ...fund, organizationId: ids.get(org)! });
    for (const person of demoPeople) {
      const [user] = await tx.insert(users).values({ id: randomUUID(), email: person.email, name: person.name, emailVerified: true }).returning();
      await tx.insert(memberships).values({ userId: user!.id, organizationId: ids.get(person.org)!, role: person.role, includesDescendants: person.includesDescendants });
    }
    return { seeded: true };
  });
}

// `npm run db:seed`: seeds a database named by DATABASE_URL (or the embedded one) on request.
if (import.meta.url === `file://${process.argv[1]}`) {
  const { loadConfig } = await import('../server/config');
  const { runCli } = await import('../server/cli');
  const { openDatabase } = await import('./client');
  await runCli(async () => {
    const config = loadConfig();
    const database = await openDatabase({ databaseUrl: config.DATABASE_URL, dataDir: config.DATA_DIR });
    try {
      await database.migrate();
      const { seeded } = await seedDemoData(database.db);
      process.stdout.write(seeded ? 'demo data seeded\n' : 'database not empty: nothing seeded\n');
    } finally {
      await database.close();
    }
  });
}
