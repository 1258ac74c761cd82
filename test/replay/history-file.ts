/**
 * Histories as JSON files. Plain protobufjs object form (int64 as strings, bytes as base64) rather than
 * historyToJSON: that one fails with "type must be a Type" here, because @temporalio/common carries its
 * own protobufjs copy that does not know the proto package's types.
 */
import { promises as fs } from 'node:fs';
import { temporal } from '@temporalio/proto';

type History = temporal.api.history.v1.IHistory;
const HistoryType = temporal.api.history.v1.History;

export function historyToObject(history: History): Record<string, unknown> {
  return HistoryType.toObject(HistoryType.fromObject(history), {
    longs: String,
    bytes: String,
    enums: Number,
  });
}

export interface HistoryFile {
  readonly workflowId: string;
  readonly workflowType: string;
  readonly history: temporal.api.history.v1.History;
}

export function historyFromObject(obj: object): temporal.api.history.v1.History {
  return HistoryType.fromObject(obj);
}

export async function readHistoryFile(file: string): Promise<HistoryFile> {
  const raw = JSON.parse(await fs.readFile(file, 'utf8')) as {
    workflowId: string;
    workflowType: string;
    history: object;
  };
  return {
    workflowId: raw.workflowId,
    workflowType: raw.workflowType,
    history: historyFromObject(raw.history),
  };
}
