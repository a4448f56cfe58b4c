import {
  type CloudFormationClient,
  CreateChangeSetCommand,
  DeleteStackCommand,
  DescribeChangeSetCommand,
  type DescribeChangeSetCommandOutput,
  DescribeStacksCommand,
  ExecuteChangeSetCommand,
} from "@aws-sdk/client-cloudformation";
import type { CfnResource, CfnTemplate } from "../../infra/app.ts";
import type { FoundResource } from "./kept-resources.ts";

/** One kept resource matched to the logical id the new template gives it. */
export interface Adoptee extends FoundResource {
  logicalId: string;
}

export interface AdoptionPlan {
  adoptees: Adoptee[];
  /** The IMPORT change set's template: the adopted resources alone (an import creates nothing). */
  template: CfnTemplate;
}

/**
 * Matches what a destroyed kept stage left behind to the resources of the stage's new template (by
 * type and physical name) and cuts the template down to them. Returns a reason instead when the
 * cut-down template cannot stand alone: an adopted resource that refers to one that no longer
 * exists would need a create inside the import, which CloudFormation does not allow.
 */
export function planAdoption(template: CfnTemplate, found: readonly FoundResource[]): AdoptionPlan | string {
  const adoptees: Adoptee[] = [];
  for (const resource of found) {
    const match = Object.entries(template.Resources).find(
      ([, r]) => r.Type === resource.type && r.Properties?.[resource.nameProperty] === resource.name,
    );
    if (match) adoptees.push({ ...resource, logicalId: match[0] });
  }
  const ids = new Set(adoptees.map((a) => a.logicalId));
  const resources: Record<string, CfnResource> = {};
  for (const { logicalId } of adoptees) {
    const { DependsOn: _dependsOn, ...resource } = template.Resources[logicalId] as CfnResource;
    const missing = [...references(resource.Properties)].filter(
      (id) => !id.startsWith("AWS::") && !ids.has(id),
    );
    if (missing.length > 0) {
      return `${logicalId} refers to ${missing.join(", ")}, which no longer exists`;
    }
    resources[logicalId] = resource;
  }
  const plan: CfnTemplate = { Resources: resources };
  if (template.Description) plan.Description = template.Description;
  return { adoptees, template: plan };
}

/** Logical ids a template fragment refers to through Ref, Fn::GetAtt or Fn::Sub. */
function references(node: unknown, into = new Set<string>()): Set<string> {
  if (Array.isArray(node)) {
    for (const item of node) references(item, into);
  } else if (typeof node === "object" && node !== null) {
    for (const [key, value] of Object.entries(node)) {
      if (key === "Ref" && typeof value === "string") into.add(value);
      else if (key === "Fn::GetAtt" && Array.isArray(value) && typeof value[0] === "string")
        into.add(value[0]);
      else if (key === "Fn::Sub") {
        const text = Array.isArray(value) ? value[0] : value;
        for (const [, name] of String(text).matchAll(/\$\{([^!.}]+)[^}]*\}/g)) if (name) into.add(name);
        references(value, into);
      } else references(value, into);
    }
  }
  return into;
}

/** Why a kept stage's resources could not be adopted; nothing was changed. */
export class AdoptionRefusedError extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = "AdoptionRefusedError";
  }
}

export interface AdoptionOptions {
  cfn: CloudFormationClient;
  stackName: string;
  plan: AdoptionPlan;
  pollMs: number;
  /** Bounds every wait: a change set or an import that never settles is reported, not waited on forever. */
  timeoutMs?: number;
}

/**
 * Creates the IMPORT change set that would make a new stack of the adopted resources and checks
 * that CloudFormation really offers to import every one of them (an endpoint without resource
 * import, such as moto, answers "Add": creating them would fail or duplicate them). On any doubt
 * the change set and its empty REVIEW_IN_PROGRESS stack are deleted and AdoptionRefusedError is
 * thrown: nothing was changed. Returns the change set's id, to execute with executeAdoption.
 */
export async function prepareAdoption(options: AdoptionOptions): Promise<string> {
  const { cfn, stackName, plan } = options;
  const { Id } = await cfn.send(
    new CreateChangeSetCommand({
      StackName: stackName,
      ChangeSetName: `durable-adopt-${Date.now()}`,
      ChangeSetType: "IMPORT",
      TemplateBody: JSON.stringify(plan.template),
      Capabilities: ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"],
      Description: `durable deploy adopts the resources ${stackName} kept when it was destroyed`,
      ResourcesToImport: plan.adoptees.map((a) => ({
        ResourceType: a.type,
        LogicalResourceId: a.logicalId,
        ResourceIdentifier: { [a.identifierProperty]: a.identifier },
      })),
    }),
  );
  if (!Id) throw new Error("CloudFormation created a change set without an id");
  const changeSet = await settle(options, async () => {
    const out = await cfn.send(new DescribeChangeSetCommand({ ChangeSetName: Id, StackName: stackName }));
    return /_PENDING|_IN_PROGRESS/.test(out.Status ?? "") ? undefined : out;
  });
  const refusal = refusalOf(changeSet, plan);
  if (refusal) {
    await discard(cfn, stackName);
    throw new AdoptionRefusedError(refusal);
  }
  return Id;
}

function refusalOf(changeSet: DescribeChangeSetCommandOutput, plan: AdoptionPlan): string | undefined {
  if (changeSet.Status !== "CREATE_COMPLETE") {
    return `CloudFormation refused the import: ${changeSet.StatusReason ?? changeSet.Status}`;
  }
  const actions = new Map(
    (changeSet.Changes ?? []).map((c) => [c.ResourceChange?.LogicalResourceId, c.ResourceChange?.Action]),
  );
  const notImported = plan.adoptees.filter((a) => actions.get(a.logicalId) !== "Import");
  if (notImported.length > 0) {
    const action = actions.get(notImported[0]?.logicalId) ?? "no change";
    return `this CloudFormation endpoint does not import existing resources: its change set would ${action === "Add" ? "create" : action} ${notImported.length} of them anew`;
  }
  return undefined;
}

/** Executes the prepared import and waits until the new stack holds the adopted resources. */
export async function executeAdoption(options: AdoptionOptions, changeSetId: string): Promise<void> {
  const { cfn, stackName } = options;
  await cfn.send(new ExecuteChangeSetCommand({ ChangeSetName: changeSetId, StackName: stackName }));
  const status = await settle(options, async () => {
    const { Stacks } = await cfn.send(new DescribeStacksCommand({ StackName: stackName }));
    const current = Stacks?.[0]?.StackStatus ?? "";
    return /_IN_PROGRESS$/.test(current)
      ? undefined
      : { status: current, reason: Stacks?.[0]?.StackStatusReason };
  });
  if (status.status !== "IMPORT_COMPLETE") {
    throw new Error(`the import ended in ${status.status}${status.reason ? `: ${status.reason}` : ""}`);
  }
}

/** A refused import leaves an empty stack in REVIEW_IN_PROGRESS; deleting it touches no resource. */
async function discard(cfn: CloudFormationClient, stackName: string): Promise<void> {
  await cfn.send(new DeleteStackCommand({ StackName: stackName }));
}

async function settle<T>(options: AdoptionOptions, poll: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 30 * 60_000);
  for (;;) {
    const value = await poll();
    if (value !== undefined) return value;
    if (Date.now() > deadline)
      throw new Error(`CloudFormation did not settle within ${options.timeoutMs} ms`);
    await new Promise((done) => setTimeout(done, options.pollMs));
  }
}
