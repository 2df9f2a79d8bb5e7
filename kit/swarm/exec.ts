/** Moved to kit/plan/exec.ts (every orchestrator runs its steps the same way). */
export * from '../plan/exec.ts';
