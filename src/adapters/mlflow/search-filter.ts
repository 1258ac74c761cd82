/** Quoting for MLflow's search filter syntax (runs/search, model-versions/search). */
import { MlflowInputError } from '../../domain/tracking/tracker';

/**
 * A string literal for MLflow's search filter. MLflow strips the outer quotes and knows no escapes, so a
 * value can hold one kind of quote but not both.
 */
export function filterLiteral(value: string): string {
  if (!value.includes("'")) return `'${value}'`;
  if (!value.includes('"')) return `"${value}"`;
  throw new MlflowInputError(
    `cannot search MLflow for ${JSON.stringify(value)}: a value with both ' and " cannot be quoted in MLflow's filter syntax`,
  );
}

export function filterKey(key: string): string {
  if (key.includes('`')) {
    throw new MlflowInputError(`cannot search MLflow by key ${JSON.stringify(key)}: it contains a backtick`);
  }
  return `\`${key}\``;
}
