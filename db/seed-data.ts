import type { NewAppeal } from './schema/index';

// Demo data for embedded mode: every row is marked is_demo and every name says "demo", so nobody
// mistakes it for a real organization's figures.
export const demoOrganizations = [
  { key: 'federation', slug: 'demo-federation', name: 'International Solidarity Federation (demo)', kind: 'federation', country: null, defaultCurrency: 'USD', parent: null },
  { key: 'union', slug: 'ue-demo', name: 'United Electrical Workers — national union (demo)', kind: 'union', country: 'US', defaultCurrency: 'USD', parent: 'federation' },
  { key: 'local222', slug: 'ue-local-222', name: 'UE Local 222 (demo)', kind: 'local', country: 'US', defaultCurrency: 'USD', parent: 'union' },
  { key: 'osaka', slug: 'osaka-care-workers', name: 'Osaka Care Workers Union (demo)', kind: 'local', country: 'JP', defaultCurrency: 'JPY', parent: 'federation' },
] as const;

export type DemoOrgKey = (typeof demoOrganizations)[number]['key'];

export const demoAppeals: (Omit<NewAppeal, 'organizationId'> & { org: DemoOrgKey })[] = [
  {
    org: 'local222',
    slug: 'buck-a-brick',
    title: 'Buck-a-Brick: a union hall for our comrades in Mexico',
    summary: 'One brick is one dollar. Help build the union hall of a Mexican municipal workers’ union.',
    storyMarkdown:
      'Municipal workers in Mexico organized an independent union and need a hall of their own: a place to meet, ' +
      'to train and to shelter during disputes.\n\n**Every dollar buys one brick.** Our goal is 1,300 bricks.\n\n' +
      '_This is demo data shipped with solidarity-fund._',
    beneficiary: 'Independent municipal workers’ union, Mexico (demo)',
    language: 'en',
    currency: 'USD',
    goalMinor: 130_000n,
    unitName: 'brick',
    unitPriceMinor: 100n,
    status: 'live',
    isDemo: true,
  },
  {
    org: 'osaka',
    slug: 'osaka-care-strike-fund',
    title: '大阪介護労働者ストライキ基金 (demo)',
    // Written in Japanese throughout, as the appeal says it is (pages mark it lang="ja").
    summary: '安全な人員配置を求めて立ち上がる大阪の介護労働者に、ストライキ手当を。',
    storyMarkdown:
      '介護労働者は安全な人員配置を求めてストライキ中です。ストライキ手当を支援してください。\n\n' +
      '_これは solidarity-fund に付属するデモデータです。_',
    beneficiary: 'Osaka Care Workers Union strike committee (demo)',
    language: 'ja',
    currency: 'JPY',
    goalMinor: 3_000_000n,
    unitName: null,
    unitPriceMinor: null,
    status: 'live',
    isDemo: true,
  },
];

export const demoFund = {
  org: 'federation' as DemoOrgKey,
  slug: 'emergency-solidarity-fund',
  name: 'Emergency Solidarity Fund (demo)',
  description: 'Standing money activated when members somewhere come under attack: strike, repression, disaster.',
  currency: 'USD',
  reserveFloorMinor: 500_000n,
  isDemo: true,
};

/**
 * Demo people, one per role, so the demo can be tried from every side: sign in with one of these
 * addresses and open the link on the dev mail page.
 */
export const demoPeople: { email: string; name: string; org: DemoOrgKey; role: 'member' | 'organizer' | 'treasurer' | 'admin'; includesDescendants: boolean }[] = [
  { email: 'organizer@ue222.demo', name: 'Local 222 organizer (demo)', org: 'local222', role: 'organizer', includesDescendants: false },
  { email: 'member@ue222.demo', name: 'Local 222 member (demo)', org: 'local222', role: 'member', includesDescendants: false },
  { email: 'treasurer@federation.demo', name: 'Federation treasurer (demo)', org: 'federation', role: 'treasurer', includesDescendants: true },
  { email: 'admin@federation.demo', name: 'Federation admin (demo)', org: 'federation', role: 'admin', includesDescendants: true },
  { email: 'organizer@osaka.demo', name: 'Osaka organizer (demo)', org: 'osaka', role: 'organizer', includesDescendants: false },
];

/** A demo gift: made through the Stripe emulator's Checkout and posted by the poster, as any gift is. */
export interface DemoGift {
  appeal: (typeof demoAppeals)[number]['slug'];
  amountMinor: bigint;
  frequency: 'one_off' | 'monthly';
  coverFees?: boolean;
  donorName: string;
  donorEmail: string;
  anonymous?: boolean;
  updatesOptIn?: boolean;
  message?: string;
  /** Shown on the donor wall; a message not approved waits for the organizer's moderation. */
  messageApproved?: boolean;
  locale: 'en' | 'fr' | 'de' | 'es' | 'ja' | 'sv' | 'ar' | 'ru';
  timeZone: string;
}

/**
 * The demo's history, so every page has something to show on a first start: a donor wall, a
 * member's own gifts (one monthly, to change, pause or end), a message awaiting moderation, and a
 * treasurer's ledger. Every name and message says "demo"; the addresses are on .demo, which no mail reaches.
 */
export const demoGifts: DemoGift[] = [
  { appeal: 'buck-a-brick', amountMinor: 2_500n, frequency: 'one_off', donorName: 'Local 222 member (demo)', donorEmail: 'member@ue222.demo', updatesOptIn: true, locale: 'en', timeZone: 'America/New_York' },
  { appeal: 'buck-a-brick', amountMinor: 1_000n, frequency: 'monthly', coverFees: true, donorName: 'Local 222 member (demo)', donorEmail: 'member@ue222.demo', locale: 'en', timeZone: 'America/New_York' },
  { appeal: 'buck-a-brick', amountMinor: 10_000n, frequency: 'one_off', donorName: 'Rosa Martínez (demo)', donorEmail: 'rosa@donors.demo', message: '¡Un ladrillo por cada compañera de mi sección! (demo)', messageApproved: true, updatesOptIn: true, locale: 'es', timeZone: 'America/Chicago' },
  { appeal: 'buck-a-brick', amountMinor: 5_000n, frequency: 'one_off', donorName: 'Night shift, Erie (demo)', donorEmail: 'erie@donors.demo', anonymous: true, message: 'From the night shift. Build it strong. (demo)', messageApproved: true, locale: 'en', timeZone: 'America/New_York' },
  { appeal: 'buck-a-brick', amountMinor: 20_000n, frequency: 'one_off', coverFees: true, donorName: 'UE Local 506 (demo)', donorEmail: 'local506@donors.demo', message: 'Solidarity forever. (demo)', messageApproved: true, locale: 'en', timeZone: 'America/New_York' },
  { appeal: 'buck-a-brick', amountMinor: 2_000n, frequency: 'one_off', donorName: 'Karim B. (demo)', donorEmail: 'karim@donors.demo', message: 'Solidarité depuis Oran ! (demo)', locale: 'fr', timeZone: 'Africa/Algiers' },
  { appeal: 'osaka-care-strike-fund', amountMinor: 5_000n, frequency: 'one_off', donorName: '田中 由美 (demo)', donorEmail: 'tanaka@donors.demo', message: '応援しています。がんばってください！(demo)', messageApproved: true, updatesOptIn: true, locale: 'ja', timeZone: 'Asia/Tokyo' },
  { appeal: 'osaka-care-strike-fund', amountMinor: 10_000n, frequency: 'one_off', donorName: 'Osaka donor (demo)', donorEmail: 'osaka@donors.demo', anonymous: true, locale: 'ja', timeZone: 'Asia/Tokyo' },
  { appeal: 'osaka-care-strike-fund', amountMinor: 3_000n, frequency: 'monthly', donorName: '佐藤 健 (demo)', donorEmail: 'sato@donors.demo', locale: 'ja', timeZone: 'Asia/Tokyo' },
];

/**
 * An update on Buck-a-Brick, posted after the demo gifts: it goes to the donors who asked for
 * updates, in Spanish to the donor who gave in Spanish.
 */
export const demoUpdate = {
  appeal: 'buck-a-brick' as const,
  title: 'The first bricks are in (demo)',
  bodyMarkdown:
    'Thank you, everyone who gave in the first days. The union in Mexico has the **plans for the hall** ready, and the first ' +
    'bricks you paid for are on their way.\n\n_This is demo data shipped with solidarity-fund._',
  translations: [
    {
      language: 'es',
      title: 'Ya llegaron los primeros ladrillos (demo)',
      bodyMarkdown:
        'Gracias a todas y todos los que donaron en los primeros días. El sindicato en México ya tiene listos los **planos del ' +
        'local**, y los primeros ladrillos que pagaron están en camino.\n\n_Estos son datos de demostración incluidos en solidarity-fund._',
    },
  ],
};
