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
