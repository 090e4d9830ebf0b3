/** An expected failure with a machine-readable code, answered as a 4xx in the one error body. */
export class AppError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

export interface ErrorBody {
  error: { code: string; message: string; details?: unknown };
}

export function errorBody(code: string, message: string, details?: unknown): ErrorBody {
  return { error: details === undefined ? { code, message } : { code, message, details } };
}

/** The constraint a failed query broke: drizzle wraps the driver's error (postgres.js names it `constraint_name`, PGlite `constraint`). */
export function brokenConstraint(err: unknown): string | undefined {
  const cause = (err as { cause?: { constraint_name?: string; constraint?: string } } | undefined)?.cause;
  return cause?.constraint_name ?? cause?.constraint;
}

/** A database guard's refusal as the answer a person can act on; any other error is thrown on unchanged. */
export function answerRefusal(err: unknown, answers: Record<string, AppError>): never {
  const constraint = brokenConstraint(err);
  throw (constraint !== undefined && answers[constraint]) || err;
}
