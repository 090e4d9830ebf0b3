/** At most this many bricks are drawn; a bigger goal draws each brick for a round group of units. */
export const maxDrawnBricks = 1500;

export interface WallPlan {
  /** Units one drawn brick stands for: 1, or a round 2, 5, 10, 20, 50, 100… */
  unitsPerBrick: number;
  drawn: number;
  filled: number;
}

/** How to draw a wall of `goalUnits` bricks with `filledUnits` bought: a brick is filled once whole. */
export function planWall(goalUnits: number, filledUnits: number): WallPlan {
  let unitsPerBrick = 1;
  for (let scale = 1; Math.ceil(goalUnits / unitsPerBrick) > maxDrawnBricks; scale *= 10) {
    unitsPerBrick = [2, 5, 10].map((s) => s * scale).find((g) => Math.ceil(goalUnits / g) <= maxDrawnBricks) ?? 10 * scale;
  }
  const drawn = Math.max(1, Math.ceil(goalUnits / unitsPerBrick));
  return { unitsPerBrick, drawn, filled: Math.min(drawn, Math.floor(Math.max(0, filledUnits) / unitsPerBrick)) };
}
