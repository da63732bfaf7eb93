/** A JSON Schema as `GET _devtools/streams` sends it (draft 2020-12, from zod's `toJSONSchema`). */
export type JsonSchema = { readonly [keyword: string]: unknown };

/** Past this depth (a recursive schema), an example stops at `null`. */
const MAX_DEPTH = 8;

/**
 * A value that a schema accepts, or comes close to: what the subscribe
 * form's input starts with, for the user to edit. It takes a schema's own
 * `examples`, `default`, `const` or first `enum` value; otherwise the required
 * properties of an object (all of them when none is required), arrays of
 * `minItems` (at least one) items, numbers at their minimum, and strings of
 * their format (`date-time`: now).
 */
export function exampleOf(schema: JsonSchema, root: JsonSchema = schema, depth = 0): unknown {
  if (depth > MAX_DEPTH) return null;
  const next = (of: unknown): unknown => (isSchema(of) ? exampleOf(of, root, depth + 1) : null);
  if (Array.isArray(schema["examples"]) && schema["examples"].length > 0) return schema["examples"][0];
  if ("default" in schema) return schema["default"];
  if ("const" in schema) return schema["const"];
  if (Array.isArray(schema["enum"]) && schema["enum"].length > 0) return schema["enum"][0];
  if (typeof schema["$ref"] === "string") {
    const target = resolveRef(root, schema["$ref"]);
    return target ? exampleOf(target, root, depth + 1) : null;
  }
  for (const keyword of ["anyOf", "oneOf", "allOf"]) {
    const options = schema[keyword];
    if (!Array.isArray(options)) continue;
    const chosen = options.find((option) => isSchema(option) && option["type"] !== "null") ?? options[0];
    return next(chosen);
  }
  switch (typeOf(schema)) {
    case "object":
      return objectExample(schema, next);
    case "array": {
      const minItems = typeof schema["minItems"] === "number" ? schema["minItems"] : 1;
      const prefix = Array.isArray(schema["prefixItems"]) ? schema["prefixItems"].map(next) : [];
      if (prefix.length > 0) return prefix;
      return Array.from({ length: Math.max(1, Math.min(minItems, 3)) }, () => next(schema["items"]));
    }
    case "string":
      return stringExample(schema);
    case "integer":
    case "number":
      return numberExample(schema);
    case "boolean":
      return false;
    case "null":
      return null;
    default:
      return {};
  }
}

function objectExample(schema: JsonSchema, next: (of: unknown) => unknown): Record<string, unknown> {
  const properties = isSchema(schema["properties"]) ? schema["properties"] : {};
  const required = Array.isArray(schema["required"]) ? schema["required"].filter((key): key is string => typeof key === "string") : [];
  const keys = required.length > 0 ? required : Object.keys(properties);
  const example: Record<string, unknown> = {};
  for (const key of keys) example[key] = next(properties[key]);
  return example;
}

function stringExample(schema: JsonSchema): string {
  switch (schema["format"]) {
    case "date-time":
      return new Date().toISOString();
    case "date":
      return new Date().toISOString().slice(0, 10);
    case "email":
      return "someone@example.com";
    case "uri":
    case "url":
      return "https://example.com/";
    case "uuid":
      return "00000000-0000-4000-8000-000000000000";
    default: {
      const minLength = typeof schema["minLength"] === "number" ? schema["minLength"] : 0;
      return "x".repeat(Math.min(minLength, 64));
    }
  }
}

function numberExample(schema: JsonSchema): number {
  const { minimum, exclusiveMinimum, maximum } = schema;
  if (typeof minimum === "number") return minimum;
  if (typeof exclusiveMinimum === "number") return schema["type"] === "integer" ? exclusiveMinimum + 1 : exclusiveMinimum + 0.5;
  if (typeof maximum === "number" && maximum < 0) return maximum;
  return 0;
}

/** The first type of a schema that lists several (`["string", "null"]`): not `null` when there is another. */
function typeOf(schema: JsonSchema): unknown {
  const { type } = schema;
  if (!Array.isArray(type)) return type;
  return type.find((name) => name !== "null") ?? type[0];
}

/** A local `$ref` (`#/$defs/Node`), or `undefined` for one that points elsewhere. */
function resolveRef(root: JsonSchema, ref: string): JsonSchema | undefined {
  if (!ref.startsWith("#")) return undefined;
  let node: unknown = root;
  for (const part of ref.slice(1).split("/").filter((segment) => segment !== "")) {
    if (!isSchema(node)) return undefined;
    node = node[part.replace(/~1/g, "/").replace(/~0/g, "~")];
  }
  return isSchema(node) ? node : undefined;
}

function isSchema(value: unknown): value is JsonSchema {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
