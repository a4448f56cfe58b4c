/** The options of `durable deploy` and `durable destroy`, as the deploy code reads them. */
export interface DeployArgs {
  stage: string;
  dryRun: boolean;
  yes: boolean;
  json: boolean;
}

export interface DestroyArgs {
  stage: string;
  yes: boolean;
  json: boolean;
}
