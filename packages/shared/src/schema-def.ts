import type { ZodType } from "zod";

/** The part of zod's (v4) schema internals that Rivulet reads. */
export interface SchemaDef {
  type: string;
  shape?: Record<string, ZodType>;
  catchall?: ZodType;
  element?: ZodType;
  innerType?: ZodType;
  options?: readonly ZodType[];
  values?: readonly unknown[];
  entries?: Record<string, unknown>;
  coerce?: boolean;
  keyType?: ZodType;
  valueType?: ZodType;
  items?: readonly ZodType[];
  rest?: ZodType | null;
  left?: ZodType;
  right?: ZodType;
  getter?: () => ZodType;
}

/** A schema's definition: what it is (`type`) and what it is made of. */
export function defOf(schema: ZodType): SchemaDef {
  return (schema as unknown as { _zod: { def: SchemaDef } })._zod.def;
}
