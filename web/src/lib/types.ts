// The API's shapes as the pages see them (kept in step with server/appeals/schemas.ts).
export type { AppealSummary, AppealDetail, DonorWall } from '../../../server/appeals/schemas';
import type { AppealSummary } from '../../../server/appeals/schemas';
export type AppealProgress = AppealSummary['progress'];
// The organizers' view of an appeal and its donors (server/appeals/manage-schemas.ts).
import type { z } from 'zod';
import type { donorListSchema, donorRowSchema, managedAppealSchema, managedUpdateSchema, updateListSchema } from '../../../server/appeals/manage-schemas';
export type ManagedAppeal = z.infer<typeof managedAppealSchema>;
/** A posted update with its translations' markdown, as its organizers edit them (GET /api/appeals/:slug/updates/:id/manage). */
export type ManagedUpdate = z.infer<typeof managedUpdateSchema>;
/** One page of an appeal's public updates (GET /api/appeals/:slug/updates). */
export type AppealUpdateList = z.infer<typeof updateListSchema>;
export type DonorRow = z.infer<typeof donorRowSchema>;
/** One page of an appeal's gifts as its organizers see them (GET /api/appeals/:slug/donors). */
export type DonorPage = z.infer<typeof donorListSchema>;
/** A gift's public status (GET /api/donations/:id): no name, no address. */
export type DonationPublic = z.infer<typeof donationPublicSchema>;
/** What the donor typed for a gift not yet paid, to the key its browser holds (POST /api/donations/:id/resume). */
export type DonationTyped = z.infer<typeof donationResumeSchema>;
import type { donationPublicSchema, donationResumeSchema } from '../../../server/payments/schemas';
