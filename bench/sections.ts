/**
 * The benchmark's sections, in the order they run. Each measures one thing against its
 * reference in the same run and contributes its part of latest.json, its targets and its table;
 * a new measurement is a new section here, not an edit of the others.
 */
import { type AwsBenchOptions, DEFAULT_AWS_OPTIONS, runAwsBench } from "./aws-bench.ts";
import { DEFAULT_CLI_OPTIONS, runCliBench } from "./cli-bench.ts";
import { DEFAULT_LOCAL_OPTIONS, type LocalBenchOptions, runLocalBench } from "./local-bench.ts";
import {
  awsJson,
  awsTargets,
  cliJson,
  cliTargets,
  localJson,
  localTargets,
  stateSizeJson,
  type Target,
} from "./report.ts";
import {
  DEFAULT_STATE_SIZE_OPTIONS,
  runStateSizeBench,
  type StateSizeBenchOptions,
  stateSizeTable,
} from "./state-size-bench.ts";
import { awsTable, cliTable, localTable } from "./table.ts";

export interface SectionContext {
  quick: boolean;
  progress: (line: string) => void;
}

export interface SectionResult {
  /** Top-level keys of latest.json (e.g. { aws: … }). */
  json: Record<string, unknown>;
  targets: Target[];
  table: string;
}

export interface Section {
  readonly name: string;
  /** Needs bench/'s own dependencies (the peers). */
  readonly needsPeers: boolean;
  run(context: SectionContext): Promise<SectionResult>;
}

const aws: Section = {
  name: "aws",
  needsPeers: false,
  async run({ quick, progress }) {
    const options: AwsBenchOptions = quick
      ? { ...DEFAULT_AWS_OPTIONS, hotInvokes: 20, spreadInvokes: 20, spreadActors: 10, batches: 4, rounds: 2 }
      : DEFAULT_AWS_OPTIONS;
    progress("aws: starting DynamoDB Local and fauxqs");
    const r = await runAwsBench({ ...options, onProgress: progress });
    return { json: { aws: awsJson(r, options) }, targets: awsTargets(r), table: awsTable(r, options) };
  },
};

const local: Section = {
  name: "local",
  needsPeers: true,
  async run({ quick, progress }) {
    const options: LocalBenchOptions = quick
      ? {
          ...DEFAULT_LOCAL_OPTIONS,
          hotN: 100,
          hotRounds: 2,
          spreadTotal: 400,
          spreadActors: 40,
          spreadRounds: 2,
          settleMs: 500,
        }
      : DEFAULT_LOCAL_OPTIONS;
    progress("local: generating a counter project, starting durable dev, Miniflare and Restate");
    const r = await runLocalBench({ ...options, onProgress: progress });
    return { json: localJson(r), targets: localTargets(r), table: localTable(r) };
  },
};

const cli: Section = {
  name: "cli",
  needsPeers: false,
  async run({ quick, progress }) {
    progress("cli: durable invoke and bun -e 0 as whole processes");
    const r = await runCliBench({
      ...DEFAULT_CLI_OPTIONS,
      runs: quick ? 3 : DEFAULT_CLI_OPTIONS.runs,
      onProgress: progress,
    });
    return { json: { cli: cliJson(r) }, targets: cliTargets(r), table: cliTable(r) };
  },
};

const state: Section = {
  name: "state",
  needsPeers: false,
  async run({ quick, progress }) {
    const options: StateSizeBenchOptions = quick
      ? { ...DEFAULT_STATE_SIZE_OPTIONS, calls: 12, rounds: 2 }
      : DEFAULT_STATE_SIZE_OPTIONS;
    progress("state size: a 1 KB against a 1 MB state on DynamoDB Local and fauxqs (S3)");
    const r = await runStateSizeBench({ ...options, onProgress: progress });
    return { json: { stateSize: stateSizeJson(r, options) }, targets: [], table: stateSizeTable(r, options) };
  },
};

export const SECTIONS: readonly Section[] = [aws, state, local, cli];
