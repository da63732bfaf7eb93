import type { JsonSchema } from "./json-schema.js";
import { safeName, uniqueName } from "./streams.js";

/** A document's `components.schemas`, and how a schema with references of its own moves into it. */
export interface SchemaComponents {
  readonly schemas: Record<string, JsonSchema>;
  /**
   * `schema`, ready to sit anywhere in the document. A `#…` reference inside
   * it would resolve against the document's root, not the schema's, so its
   * `$defs` (or draft-07 `definitions`) move to `components.schemas` and their
   * references follow; a schema that refers to its own root (`$ref: "#"`, zod's
   * form of a recursive root) moves there whole, under `owner`, and a `$ref` to
   * it takes its place. A definition named by its `.meta({ id })` keeps its
   * name, shared by every schema that holds the same definition; zod's unnamed
   * ones (`__schema0`) are named after `owner`. A schema without references
   * is returned as it is.
   */
  embed(schema: JsonSchema, owner: string): JsonSchema;
}

const COMPONENT = "#/components/schemas/";

/** Components starting with `schemas`: Rivulet's own (the error body). */
export function createSchemaComponents(schemas: Record<string, JsonSchema>): SchemaComponents {
  const all: Record<string, JsonSchema> = { ...schemas };
  /** `wanted`, or a variant of it if that name already holds another schema. */
  const place = (wanted: string, text: string | undefined): string =>
    uniqueName(wanted, (taken) => Object.hasOwn(all, taken) && (text === undefined || JSON.stringify(all[taken]) !== text));
  return {
    schemas: all,
    embed(schema, owner) {
      const key = "definitions" in schema && !("$defs" in schema) ? "definitions" : "$defs";
      const { [key]: defs, ...root } = schema as Record<string, Record<string, JsonSchema>>;
      const entries = Object.entries(defs ?? {});
      const local = (ref: string): boolean => ref === "#" || (ref.startsWith("#/") && !ref.startsWith(`#/${key}/`));
      if (entries.length === 0 && !refersTo(root, local)) return schema;

      const renamed = new Map<string, string>();
      const point = (name: string, component: string): void => {
        renamed.set(`#/${key}/${name}`, `${COMPONENT}${component}`);
        renamed.set(`#/${key}/${encodeURIComponent(name)}`, `${COMPONENT}${component}`);
      };
      const rootComponent = refersTo(root, local) || entries.some(([, definition]) => refersTo(definition, local)) ? place(safeName(owner), undefined) : undefined;
      const rewrite = (value: unknown): unknown => {
        if (Array.isArray(value)) return value.map(rewrite);
        if (typeof value !== "object" || value === null) return value;
        const out: Record<string, unknown> = {};
        for (const [field, inner] of Object.entries(value)) {
          out[field] = field === "$ref" && typeof inner === "string" ? target(inner) : rewrite(inner);
        }
        return out;
      };
      const target = (ref: string): string => {
        const moved = renamed.get(ref);
        if (moved !== undefined) return moved;
        return rootComponent !== undefined && local(ref) ? `${COMPONENT}${rootComponent}${ref.slice(1)}` : ref;
      };
      const wanted = (name: string): string => safeName(name.startsWith("__") ? `${owner}.${name.slice(2)}` : name);
      // First every definition under the name it wants; then one whose name holds another schema moves aside.
      for (const [name] of entries) point(name, wanted(name));
      const placed = entries.map(([name, definition]) => ({ name, definition, component: place(wanted(name), JSON.stringify(rewrite(definition))) }));
      for (const { name, component } of placed) point(name, component);
      for (const { definition, component } of placed) all[component] = rewrite(definition) as JsonSchema;
      if (rootComponent === undefined) return rewrite(root) as JsonSchema;
      all[rootComponent] = rewrite(root) as JsonSchema;
      return { $ref: `${COMPONENT}${rootComponent}` };
    },
  };
}

/** Whether `value` holds a `$ref` that `matches`. */
function refersTo(value: unknown, matches: (ref: string) => boolean): boolean {
  if (Array.isArray(value)) return value.some((inner) => refersTo(inner, matches));
  if (typeof value !== "object" || value === null) return false;
  return Object.entries(value).some(([field, inner]) => (field === "$ref" && typeof inner === "string" ? matches(inner) : refersTo(inner, matches)));
}
