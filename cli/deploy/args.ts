/** The options of `durable deploy` and `durable destroy`, as the deploy code reads them. */
export interface DeployArgs {
  stage: string;
  dryRun: boolean;
  yes: boolean;
  json: boolean;
}

export interface DestroyArgs {
  stage: string;
  /** Also delete what a kept stage keeps (tables, queues, schedule group, log group, scheduler role). */
  deleteData: boolean;
  yes: boolean;
  json: boolean;
}
