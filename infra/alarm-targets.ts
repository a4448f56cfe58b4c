/**
 * What `aws.alarms` may be. Kept free of CDK imports: the CLI validates durable.config.ts with
 * these on every command, long before (or without) any synth.
 */

/** An SNS topic ARN (standard topics only: CloudWatch alarms cannot publish to FIFO topics). */
export const TOPIC_ARN = /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/;
export const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;
