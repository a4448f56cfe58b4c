import * as sns from "aws-cdk-lib/aws-sns";
import * as subscriptions from "aws-cdk-lib/aws-sns-subscriptions";
import type { Construct } from "constructs";
import { EMAIL, TOPIC_ARN } from "./alarm-targets.ts";
import { FabricConfigError } from "./errors.ts";
import { acknowledge } from "./nag.ts";

/**
 * Where the fabric's alarms notify: an existing topic by ARN, or, for an email address, a topic the
 * stack creates with an email subscription (AWS mails a confirmation link first).
 */
export function alarmTopic(scope: Construct, target: string, topicName: string): sns.ITopic {
  if (TOPIC_ARN.test(target)) return sns.Topic.fromTopicArn(scope, "AlarmTopic", target);
  if (!EMAIL.test(target)) {
    throw new FabricConfigError(
      `Alarm target "${target}" is neither an SNS topic ARN nor an email address.`,
      {
        hint: 'Set aws.alarms to "arn:aws:sns:<region>:<account>:<topic>" or to an email address.',
      },
    );
  }
  const topic = new sns.Topic(scope, "AlarmTopic", { topicName, enforceSSL: true });
  const subscription = topic.addSubscription(new subscriptions.EmailSubscription(target));
  acknowledge(
    subscription,
    ["Serverless-SNSRedrivePolicy"],
    "A notification mail that cannot be delivered has no one to be redriven to; the alarm itself stays visible in CloudWatch.",
  );
  acknowledge(
    topic,
    ["AwsSolutions-SNS2"],
    "CloudWatch alarms cannot publish to a topic encrypted with the AWS-managed SNS key, and the notifications carry only alarm names and metric values.",
  );
  return topic;
}
