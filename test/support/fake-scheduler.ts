import {
  ConflictException,
  CreateScheduleCommand,
  type CreateScheduleCommandInput,
  DeleteScheduleCommand,
  GetScheduleCommand,
  ResourceNotFoundException,
  SchedulerClient,
  ValidationException,
} from "@aws-sdk/client-scheduler";
import { SendMessageCommand, type SQSClient } from "@aws-sdk/client-sqs";
import { mockClient } from "aws-sdk-client-mock";
import { EMULATOR_CREDENTIALS, EMULATOR_REGION } from "./emulator-credentials.ts";

/** A schedule as the fake keeps it: the create request plus the instant its at() names. */
export interface FakeSchedule {
  input: CreateScheduleCommandInput;
  at: number;
}

const NAME = /^[0-9A-Za-z_.-]{1,64}$/;
const AT = /^at\((\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\)$/;
/** What the SDK's exception constructors take: the message twice (lower and upper case) and metadata. */
const fault = (message: string) => ({ message, Message: message, $metadata: {} });

/**
 * EventBridge Scheduler has no emulator (moto stores schedules but never fires them), so this
 * stands in for the service behind a real SchedulerClient: CreateSchedule / GetSchedule /
 * DeleteSchedule with the service's name rules, ConflictException and ResourceNotFoundException,
 * and `fireDue(now)` delivering each due schedule's Input to its SQS target the way Scheduler does
 * (MessageGroupId from SqsParameters, no deduplication id, so the FIFO queue dedups by content),
 * then deleting it (ActionAfterCompletion DELETE).
 */
export class FakeScheduler {
  readonly client: SchedulerClient;
  readonly schedules = new Map<string, FakeSchedule>();
  /** Every create request, for tests that check what the adapter asked for. */
  readonly created: CreateScheduleCommandInput[] = [];
  /** Every API call by operation and schedule name, in order, for tests that check how many calls a relay costs. */
  readonly calls: { operation: "create" | "get" | "delete"; name: string }[] = [];

  constructor(
    private readonly sqs: SQSClient,
    /** Scheduler targets queues by ARN; the fake needs their URLs to deliver. */
    private readonly queueUrlOf: (arn: string) => string,
  ) {
    this.client = new SchedulerClient({ region: EMULATOR_REGION, credentials: { ...EMULATOR_CREDENTIALS } });
    const mock = mockClient(this.client);
    mock.on(CreateScheduleCommand).callsFake(async (input: CreateScheduleCommandInput) => {
      this.calls.push({ operation: "create", name: input.Name ?? "" });
      return this.create(input);
    });
    mock.on(GetScheduleCommand).callsFake(async (input: { Name?: string; GroupName?: string }) => {
      this.calls.push({ operation: "get", name: input.Name ?? "" });
      const schedule = this.schedules.get(key(input.GroupName, input.Name));
      if (!schedule) throw new ResourceNotFoundException(fault(`Schedule ${input.Name} does not exist.`));
      return {
        ...schedule.input,
        Arn: `arn:aws:scheduler:${EMULATOR_REGION}:000000000000:schedule/${key(input.GroupName, input.Name)}`,
      };
    });
    mock.on(DeleteScheduleCommand).callsFake(async (input: { Name?: string; GroupName?: string }) => {
      this.calls.push({ operation: "delete", name: input.Name ?? "" });
      if (!this.schedules.delete(key(input.GroupName, input.Name))) {
        throw new ResourceNotFoundException(fault(`Schedule ${input.Name} does not exist.`));
      }
      return {};
    });
  }

  /** Delivers every schedule whose time has come by `now`; returns how many it delivered. */
  async fireDue(now: number): Promise<number> {
    const due = [...this.schedules.entries()]
      .filter(([, s]) => s.at <= now)
      .sort((a, b) => a[1].at - b[1].at);
    for (const [name, schedule] of due) {
      const target = schedule.input.Target;
      await this.sqs.send(
        new SendMessageCommand({
          QueueUrl: this.queueUrlOf(target?.Arn ?? ""),
          MessageBody: target?.Input ?? "",
          MessageGroupId: target?.SqsParameters?.MessageGroupId,
        }),
      );
      if (schedule.input.ActionAfterCompletion === "DELETE") this.schedules.delete(name);
    }
    return due.length;
  }

  private create(input: CreateScheduleCommandInput): { ScheduleArn: string } {
    const invalid = (message: string) => new ValidationException(fault(message));
    if (!input.Name || !NAME.test(input.Name)) throw invalid(`invalid schedule name ${input.Name}`);
    const at = AT.exec(input.ScheduleExpression ?? "");
    if (!at?.[1])
      throw invalid(`only one-time at() expressions are expected, got ${input.ScheduleExpression}`);
    if (!input.FlexibleTimeWindow?.Mode) throw invalid("FlexibleTimeWindow is required");
    const target = input.Target;
    if (!target?.Arn || !target.RoleArn) throw invalid("Target.Arn and Target.RoleArn are required");
    if (target.Arn.endsWith(".fifo") && !target.SqsParameters?.MessageGroupId) {
      throw invalid("a FIFO queue target needs SqsParameters.MessageGroupId");
    }
    const id = key(input.GroupName, input.Name);
    if (this.schedules.has(id)) throw new ConflictException(fault(`Schedule ${input.Name} already exists.`));
    // at() is wall time in ScheduleExpressionTimezone; the adapter always says UTC.
    const zone = input.ScheduleExpressionTimezone ?? "UTC";
    if (zone !== "UTC") throw invalid(`the fake knows only UTC, got ${zone}`);
    this.created.push(input);
    this.schedules.set(id, { input, at: Date.parse(`${at[1]}Z`) });
    return { ScheduleArn: `arn:aws:scheduler:${EMULATOR_REGION}:000000000000:schedule/${id}` };
  }
}

function key(group: string | undefined, name: string | undefined): string {
  return `${group ?? "default"}/${name ?? ""}`;
}
