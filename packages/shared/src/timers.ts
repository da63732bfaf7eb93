/** The longest delay timers honour; above it (Infinity too), node and browsers fire them after about 1 ms. */
export const MAX_TIMER_MS = 2_147_483_647;
