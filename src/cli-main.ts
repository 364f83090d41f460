// The CLI proper (src/cli.ts launches it): commander wiring only. Each command's options are declared,
// typed, in src/commands/options.ts and its code lives in src/commands/; a typed error's code maps to
// the exit code here, and a `run` that fails before its verdict hands its --junit/--summary-md to
// commands/gates.ts; nothing else happens here.
import { availableParallelism } from 'node:os';
import { basename } from 'node:path';
import { Command, type CommandUnknownOpts } from '@commander-js/extra-typings';
import { LoadshapeError } from './util/errors.js';
import { EXIT } from './commands/exit.js';
import { VERSION } from './version.js';
import { describeFailure } from './cli-errors.js';
import { redactUrl } from './util/redact.js';
import { abCli, campaignCli, campaignReportCli, compareCli, exportCli, mergeCli, probeCli, reportCli, runCli, simCli, sweepCli, validateCli } from './commands/options.js';

const program = new Command('loadshape')
  .description('Load-test OpenAI-compatible LLM inference endpoints with production-shaped workloads')
  .version(VERSION)
  // One line and a hint, not the whole help: 118 lines of options scrolled a typo's "(Did you mean …?)" away.
  .showHelpAfterError('(add --help for the options)')
  .exitOverride();
/** Subcommands inherit the program's error handling (exitOverride, the short help hint). */
const add = <C extends CommandUnknownOpts>(cmd: C): C => {
  program.addCommand(cmd.exitOverride().showHelpAfterError('(add --help for the options)'));
  return cmd;
};

// Every command's module is loaded in its action: only the command that runs pays for its imports.
const run = add(
  runCli().action(async (workload, o) => {
    const { runCommand } = await import('./commands/run.js');
    process.exitCode = (await runCommand({ ...o, workload, defaultWorkers: Math.max(1, availableParallelism() - 1) })).exitCode;
  }),
);

add(
  sweepCli().action(async (workload, o) => {
    const { sweepCommand } = await import('./commands/sweep.js');
    process.exitCode = (await sweepCommand({ ...o, workload })).exitCode;
  }),
);

// `campaign plan.yaml` runs a plan; `campaign report DIR` reads one (commander tries the subcommand first).
const campaign = add(
  campaignCli().action(async (plan, o) => {
    const { campaignCommand } = await import('./commands/campaign.js');
    process.exitCode = (await campaignCommand({ ...o, plan })).exitCode;
  }),
);
campaign.addCommand(
  campaignReportCli()
    .exitOverride()
    .action(async (dir, o) => {
      const { campaignReportCommand } = await import('./commands/campaign-report.js');
      await campaignReportCommand(dir, o);
    }),
);

add(
  abCli().action(async (workload, o) => {
    const { abCommand } = await import('./commands/ab.js');
    process.exitCode = (await abCommand({ ...o, workload })).exitCode;
  }),
);

add(
  validateCli().action(async (file) => {
    const { validateCommand } = await import('./commands/validate.js');
    await validateCommand(file);
  }),
);

add(
  reportCli().action(async (file, o) => {
    const { reportCommand } = await import('./commands/report.js');
    await reportCommand(file, o);
  }),
);

add(
  compareCli().action(async (files, o) => {
    const { compareCommand } = await import('./commands/compare.js');
    process.exitCode = (await compareCommand(files, o)).exitCode;
  }),
);

add(
  exportCli().action(async (format, files, o) => {
    const { exportCommand } = await import('./commands/export.js');
    await exportCommand(format, files, o);
  }),
);

add(
  probeCli().action(async (o) => {
    const { probeCommand } = await import('./commands/probe.js');
    process.exitCode = await probeCommand(o);
  }),
);

add(
  mergeCli().action(async (files, o) => {
    const { mergeCommand } = await import('./commands/merge.js');
    await mergeCommand(files, o);
  }),
);

add(
  simCli().action(async (o) => {
    // Imported here so the core CLI path never loads the simulator unless asked.
    const { simCommand } = await import('./commands/sim.js');
    await simCommand(o);
  }),
);

// One process of `run --workers N`: its options arrive as JSON from the parent (commands/run-workers.ts).
program
  .command('worker', { hidden: true })
  .argument('<options.json>')
  .action(async (file) => {
    const { workerCommand } = await import('./commands/worker.js');
    process.exitCode = await workerCommand(file);
  });

const EXIT_BY_CODE: Record<LoadshapeError['code'], number> = {
  usage: EXIT.usage,
  workload: EXIT.usage,
  result_file: EXIT.usage,
  io: EXIT.usage,
  unreachable: EXIT.unreachable,
};

// An error thrown outside the command's promise (a timer, a stream event) gets the same treatment.
process.on('uncaughtException', (err) => {
  const failure = describeFailure(err, err instanceof LoadshapeError ? EXIT_BY_CODE[err.code] : EXIT.usage);
  process.stderr.write(`${failure.message}\n`);
  process.exit(failure.exitCode);
});

/** A `run` that ended without its verdict still writes the --junit/--summary-md it was given (commands/gates.ts). */
async function reportFailedRun(message: string, exitCode: number, unreachable: boolean): Promise<void> {
  if (process.argv[2] !== 'run') return;
  const argv = process.argv.slice(3);
  // commander's values where it got that far, else argv itself (a bad option stops commander's parse).
  const o = run.opts();
  const { flagInArgv, writeFailedRunOutputs } = await import('./commands/gates.js');
  const target = o.target ?? flagInArgv(argv, '--target');
  const workload = argv[0] !== undefined && !argv[0].startsWith('-') ? basename(argv[0]).replace(/\.(ya?ml|json)$/, '') : null;
  await writeFailedRunOutputs(
    { junit: o.junit ?? flagInArgv(argv, '--junit'), summaryMd: o.summaryMd ?? flagInArgv(argv, '--summary-md') },
    { message, exitCode, unreachable, target: target === undefined ? null : redactUrl(target), workload, at: new Date() },
  );
}

try {
  await program.parseAsync(process.argv);
} catch (err) {
  const e = err as { code?: string; exitCode?: number; message?: string };
  if (typeof e.code === 'string' && e.code.startsWith('commander.')) {
    // commander already printed the message (or help/version, which exit 0)
    process.exitCode = e.exitCode === 0 ? 0 : EXIT.usage;
    if (process.exitCode !== 0) await reportFailedRun(e.message ?? e.code, EXIT.usage, false);
  } else {
    // One line for anything the user can fix (exit 4/5); a stack only for a true bug (exit 70).
    const failure = describeFailure(err, err instanceof LoadshapeError ? EXIT_BY_CODE[err.code] : EXIT.usage);
    process.stderr.write(`${failure.message}\n`);
    process.exitCode = failure.exitCode;
    await reportFailedRun(failure.message, failure.exitCode, err instanceof LoadshapeError && err.code === 'unreachable');
  }
}
