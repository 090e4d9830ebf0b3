/**
 * The gifts an appeal's public donor wall shows: confirmed ones, still standing. A refunded,
 * disputed or failed gift is off the wall (a dispute won puts it back), and so is its message.
 */
export const wallStatuses = ['succeeded', 'partially_refunded'] as const;

export function isOnTheWall(status: string): boolean {
  return (wallStatuses as readonly string[]).includes(status);
}
