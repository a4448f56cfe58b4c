import type { Message } from "@aws-sdk/client-sqs";
import { DEFAULTS } from "../../runtime/adapters/aws/config.ts";
import { actorOfGroup, readDeadLetter } from "../../runtime/adapters/aws/sqs-dead-letters.ts";
import { assertActorId } from "../../runtime/core/limits.ts";
import type { EnvSource } from "../deploy/aws-environment.ts";
import { openStageClients } from "../deploy/stage-clients.ts";
import { deliverSignalOnStage, redriveOnStage } from "../deploy/stage-requests.ts";
import { CliError } from "../errors.ts";
import type { Project } from "../project.ts";
import { readStageOutputs } from "../stage-target.ts";
import { actorLetter, type Letter, signalEventLetter } from "./letters.ts";
import { SqsDeadLetterAdmin } from "./sqs-dead-letters.ts";
import type { DlqTarget } from "./target.ts";

/**
 * A deployed stage's dead letters: its actor DLQ (FIFO) and signal DLQ (standard), read by
 * receiving. Redrives run in the function (durable.redrive, or the signal event itself), which has
 * the handlers; the CLI removes a letter only after the function answered that its redrive committed.
 */
export function openStageDlq(project: Project, stage: string, env: EnvSource): DlqTarget {
  const outputs = readStageOutputs(project, stage);
  const { queueDlqUrl, signalDlqUrl } = outputs;
  if (!queueDlqUrl || !signalDlqUrl) {
    throw new CliError(
      "STAGE_FILE_OUTDATED",
      `.durable/stages/${stage}.json names no dead-letter queues (it was written before they were recorded)`,
      { hint: `run durable deploy --stage ${stage} to rewrite it` },
    );
  }
  const clients = openStageClients(outputs, env);
  const { lambda, sqs, store } = clients;
  const admin = new SqsDeadLetterAdmin(sqs, `stage ${stage}`);
  /** Receipts of letters received and not yet removed, per queue: released on close. */
  const held = new Map<string, Set<string>>([
    [queueDlqUrl, new Set()],
    [signalDlqUrl, new Set()],
  ]);

  const receive = async (queueUrl: string, holdSeconds: number): Promise<Message[]> => {
    const messages = await admin.receiveAll(queueUrl, holdSeconds);
    for (const m of messages) if (m.ReceiptHandle) held.get(queueUrl)?.add(m.ReceiptHandle);
    return messages;
  };

  return {
    description: clients.description,
    async letters(holdSeconds) {
      const [actors, signals] = await Promise.all([
        receive(queueDlqUrl, holdSeconds),
        receive(signalDlqUrl, holdSeconds),
      ]);
      return [
        ...actors.map((m) => actorDlqLetter(m, queueDlqUrl)),
        ...signals.map((m) => signalDlqLetter(m, signalDlqUrl)),
      ];
    },
    async read(actorId) {
      assertActorId(actorId);
      return store.read(actorId);
    },
    redrive: (event) => redriveOnStage(lambda, outputs.functionName, event, stage),
    deliverSignal: (event) => deliverSignalOnStage(lambda, outputs.functionName, event, stage),
    async remove(letters) {
      const kept: Letter[] = [];
      for (const [queueUrl, receipts] of held) {
        const here = letters.filter((l) => "queueUrl" in l.ref && l.ref.queueUrl === queueUrl);
        if (here.length === 0) continue;
        const refused = new Set(await admin.remove(queueUrl, here.map(receiptOf)));
        for (const letter of here) {
          if (refused.has(receiptOf(letter))) kept.push(letter);
          else receipts.delete(receiptOf(letter));
        }
      }
      return kept;
    },
    async close() {
      try {
        await Promise.all(
          [...held].map(([queueUrl, receipts]) =>
            admin.release(queueUrl, [...receipts]).catch(() => undefined),
          ),
        );
      } finally {
        clients.destroy();
      }
    },
  };
}

function actorDlqLetter(m: Message, queueUrl: string): Letter {
  const { reason, at, receiveCount } = readDeadLetter(m, DEFAULTS.maxReceives);
  return actorLetter({
    body: m.Body ?? "",
    reason,
    at,
    receiveCount,
    storedId: m.MessageId ?? "",
    storedActor: actorOfGroup(m.Attributes?.MessageGroupId),
    ref: { queueUrl, receipt: m.ReceiptHandle ?? "" },
  });
}

/**
 * EventBridge (a delivery it gave up on) and Lambda (an async invoke that failed every attempt)
 * put the event in the signal DLQ with why in message attributes of their own.
 */
function signalDlqLetter(m: Message, queueUrl: string): Letter {
  const attribute = (name: string): string | undefined => m.MessageAttributes?.[name]?.StringValue;
  const code = attribute("ERROR_CODE") ?? attribute("ErrorCode");
  const message = attribute("ERROR_MESSAGE") ?? attribute("ErrorMessage");
  const retries = attribute("RETRY_ATTEMPTS");
  return signalEventLetter({
    body: m.Body ?? "",
    reason: [code, message].filter(Boolean).join(": ") || "in the signal DLQ (no reason recorded)",
    at: Number(m.Attributes?.SentTimestamp ?? 0),
    // EventBridge counts its retries; the first attempt comes on top. Lambda records no count.
    receiveCount: retries !== undefined && /^\d+$/.test(retries) ? Number(retries) + 1 : null,
    storedId: m.MessageId ?? "",
    ref: { queueUrl, receipt: m.ReceiptHandle ?? "" },
  });
}

function receiptOf(letter: Letter): string {
  return "receipt" in letter.ref ? letter.ref.receipt : "";
}
