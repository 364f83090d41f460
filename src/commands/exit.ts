// Exit statuses of the CLI, in a module of their own so the entry point knows them without loading
// the run command's modules (a `--version` or a `report` then starts without them).
export const EXIT = { ok: 0, slo: 1, regression: 2, invalidRun: 3, usage: 4, unreachable: 5, stopped: 6 } as const;

/** When several apply (a campaign's points), the one reported: bad usage, then unreachable, stopped, invalid, SLO, regression. */
export const EXIT_PRECEDENCE = [EXIT.usage, EXIT.unreachable, EXIT.stopped, EXIT.invalidRun, EXIT.slo, EXIT.regression] as const;
