// The API's shapes as the pages see them (kept in step with server/appeals/schemas.ts).
export type { AppealSummary, AppealDetail } from '../../../server/appeals/schemas';
