// The API's shapes as the pages see them (kept in step with server/appeals/schemas.ts).
export type { AppealSummary, AppealDetail, DonorWall } from '../../../server/appeals/schemas';
import type { AppealSummary } from '../../../server/appeals/schemas';
export type AppealProgress = AppealSummary['progress'];
