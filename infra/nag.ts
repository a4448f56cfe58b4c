import { Stack, Validations } from "aws-cdk-lib";
import type { IConstruct } from "constructs";

/**
 * Acknowledgments of cdk-nag findings (AwsSolutions and Serverless packs), recorded with CDK's own
 * `Validations.of().acknowledge()` so any app that runs cdk-nag over the fabric sees the reasons.
 * The fabric never imports cdk-nag itself: acknowledging is construct metadata only.
 */
export function acknowledge(scope: IConstruct, rules: readonly string[], reason: string): void {
  for (const id of rules) Validations.of(scope).acknowledge({ id, reason });
}

/**
 * The id cdk-nag gives one wildcard resource in a policy (`AwsSolutions-IAM5[Resource::…]`), so an
 * acknowledgment names that one ARN rather than every wildcard the role may ever get. The ARN is
 * flattened exactly as cdk-nag's flattenCfnReference does: `${X}` and Refs become `<X>`, GetAtts
 * `<Id.Attr>`, Joins are joined.
 */
export function wildcardResourceRule(scope: IConstruct, arn: string): string {
  return `AwsSolutions-IAM5[Resource::${flatten(Stack.of(scope).resolve(arn))}]`;
}

function flatten(node: unknown): string {
  if (node === undefined) return "";
  if (typeof node === "string") return node.replace(/\$\{/g, "<").replace(/\}/g, ">");
  if (typeof node === "object" && node !== null) {
    const fn = node as Record<string, unknown>;
    if (Array.isArray(fn["Fn::Join"])) {
      const [delimiter, items] = fn["Fn::Join"] as [string, unknown[]];
      return items.map(flatten).join(delimiter);
    }
    if (fn["Fn::Sub"] !== undefined) return flatten(fn["Fn::Sub"]);
    if (Array.isArray(fn["Fn::GetAtt"])) {
      const [resource, attribute] = fn["Fn::GetAtt"] as [unknown, unknown];
      return `<${flatten(resource)}.${flatten(attribute)}>`;
    }
    if (fn.Ref !== undefined) return `<${flatten(fn.Ref)}>`;
  }
  return JSON.stringify(node);
}
