import { invalidateAll } from '$app/navigation';

/**
 * SvelteKit loads a page's data again after a successful form action only. An action refused
 * because what the form was drawn from changed meanwhile answers `changed: true`: the page's data
 * is loaded before the refusal is shown, so the form is not left holding what is gone (and refused
 * again however often it is sent). Without JavaScript the page after the action is drawn anew.
 */
export async function reloadIfChanged(result: { type: string; data?: Record<string, unknown> }): Promise<void> {
  if (result.type === 'failure' && result.data?.changed === true) await invalidateAll();
}
