/**
 * Just enough of Avro to decide schema evolution the way Pulsar does: parse a schema definition
 * (records, enums, fixed, arrays, maps, unions, primitives, named references, defaults) and answer
 * whether data written with one schema can be read with another. Pulsar asks Avro's
 * SchemaValidatorBuilder (AvroSchemaBasedCompatibilityCheck), whose ValidateMutualRead.canRead
 * resolves writer against reader with ResolvingGrammarGenerator; the rules below follow the Avro
 * specification's "Schema Resolution" section that generator implements.
 */

const PRIMITIVES = ['null', 'boolean', 'int', 'long', 'float', 'double', 'bytes', 'string'] as const;
type Primitive = (typeof PRIMITIVES)[number];

export interface AvroField {
  readonly name: string;
  readonly type: AvroType;
  readonly hasDefault: boolean;
  readonly aliases: readonly string[];
}

export type AvroType =
  | { readonly kind: 'primitive'; readonly name: Primitive }
  | { readonly kind: 'record'; readonly fullName: string; readonly fields: AvroField[] }
  | { readonly kind: 'enum'; readonly fullName: string; readonly symbols: readonly string[]; readonly hasDefault: boolean }
  | { readonly kind: 'fixed'; readonly fullName: string; readonly size: number }
  | { readonly kind: 'array'; readonly items: AvroType }
  | { readonly kind: 'map'; readonly values: AvroType }
  | { readonly kind: 'union'; readonly branches: readonly AvroType[] };

/** Avro's SchemaParseException. */
export class AvroSchemaError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AvroSchemaError';
  }
}

/** Nesting bound: a definition deeper than this is refused rather than risking the stack. */
const MAX_DEPTH = 64;

/** Parses an Avro schema definition (JSON text). Throws AvroSchemaError when it is not one. */
export function parseAvroSchema(text: string): AvroType {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new AvroSchemaError(`Not JSON: ${(error as Error).message}`);
  }
  return new Parser().parse(json, '', 0);
}

class Parser {
  private readonly named = new Map<string, AvroType>();

  parse(json: unknown, namespace: string, depth: number): AvroType {
    if (depth > MAX_DEPTH) throw new AvroSchemaError('Schema nested too deeply');
    if (typeof json === 'string') return this.reference(json, namespace);
    if (Array.isArray(json)) return { kind: 'union', branches: json.map((branch) => this.parse(branch, namespace, depth + 1)) };
    if (json === null || typeof json !== 'object') throw new AvroSchemaError(`Not a schema: ${JSON.stringify(json)}`);
    const node = json as Record<string, unknown>;
    const type = node.type;
    if (typeof type !== 'string') {
      if (type !== undefined && typeof type === 'object') return this.parse(type, namespace, depth + 1);
      throw new AvroSchemaError(`No type: ${JSON.stringify(json)}`);
    }
    switch (type) {
      case 'record': case 'error': return this.record(node, namespace, depth);
      case 'enum': return this.enumType(node, namespace);
      case 'fixed': return this.fixed(node, namespace);
      case 'array': return { kind: 'array', items: this.parse(required(node, 'items'), namespace, depth + 1) };
      case 'map': return { kind: 'map', values: this.parse(required(node, 'values'), namespace, depth + 1) };
      default: return this.reference(type, namespace);
    }
  }

  private reference(name: string, namespace: string): AvroType {
    if ((PRIMITIVES as readonly string[]).includes(name)) return { kind: 'primitive', name: name as Primitive };
    const found = this.named.get(qualify(name, namespace)) ?? this.named.get(name);
    if (!found) throw new AvroSchemaError(`Undefined name: ${JSON.stringify(name)}`);
    return found;
  }

  private define(node: Record<string, unknown>, namespace: string): { fullName: string; namespace: string } {
    const name = node.name;
    // Names are not checked further: Pulsar parses with a lenient name validator (StructSchemaDataValidator.COMPATIBLE_NAME_VALIDATOR).
    if (typeof name !== 'string' || name.length === 0) throw new AvroSchemaError(`Illegal name: ${JSON.stringify(name)}`);
    const ownNamespace = typeof node.namespace === 'string' ? node.namespace : namespace;
    const fullName = qualify(name, ownNamespace);
    if (this.named.has(fullName)) throw new AvroSchemaError(`Can't redefine: ${fullName}`);
    return { fullName, namespace: fullName.includes('.') ? fullName.slice(0, fullName.lastIndexOf('.')) : '' };
  }

  private record(node: Record<string, unknown>, namespace: string, depth: number): AvroType {
    const { fullName, namespace: inner } = this.define(node, namespace);
    const fieldsJson = required(node, 'fields');
    if (!Array.isArray(fieldsJson)) throw new AvroSchemaError(`Record has no fields: ${fullName}`);
    const record = { kind: 'record' as const, fullName, fields: [] as AvroField[] };
    // Registered before its fields, so a field may refer to the record itself.
    this.named.set(fullName, record);
    const seen = new Set<string>();
    for (const fieldJson of fieldsJson) {
      if (fieldJson === null || typeof fieldJson !== 'object') throw new AvroSchemaError(`Bad field in ${fullName}`);
      const field = fieldJson as Record<string, unknown>;
      if (typeof field.name !== 'string') throw new AvroSchemaError(`No field name in ${fullName}`);
      if (seen.has(field.name)) throw new AvroSchemaError(`Duplicate field ${field.name} in record ${fullName}`);
      seen.add(field.name);
      const type = this.parse(required(field, 'type'), inner, depth + 1);
      const hasDefault = Object.prototype.hasOwnProperty.call(field, 'default');
      if (hasDefault && !isValidDefault(type, field.default, 0)) {
        throw new AvroSchemaError(`Invalid default for field ${field.name}: ${JSON.stringify(field.default)}`);
      }
      record.fields.push({ name: field.name, type, hasDefault, aliases: stringList(field.aliases) });
    }
    return record;
  }

  private enumType(node: Record<string, unknown>, namespace: string): AvroType {
    const { fullName } = this.define(node, namespace);
    const symbols = stringList(required(node, 'symbols'));
    const type = { kind: 'enum' as const, fullName, symbols, hasDefault: typeof node.default === 'string' };
    this.named.set(fullName, type);
    return type;
  }

  private fixed(node: Record<string, unknown>, namespace: string): AvroType {
    const { fullName } = this.define(node, namespace);
    if (typeof node.size !== 'number' || !Number.isInteger(node.size) || node.size < 0) throw new AvroSchemaError(`Invalid fixed size in ${fullName}`);
    const type = { kind: 'fixed' as const, fullName, size: node.size };
    this.named.set(fullName, type);
    return type;
  }
}

function qualify(name: string, namespace: string): string {
  return name.includes('.') || namespace === '' ? name : `${namespace}.${name}`;
}

function required(node: Record<string, unknown>, key: string): unknown {
  if (!Object.prototype.hasOwnProperty.call(node, key)) throw new AvroSchemaError(`Missing "${key}" in ${JSON.stringify(node).slice(0, 200)}`);
  return node[key];
}

function stringList(value: unknown): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.some((item) => typeof item !== 'string')) throw new AvroSchemaError('Expected a list of names');
  return value as string[];
}

/** Avro validates field defaults against the field type (Schema.Parser validateDefaults, on by default); a union's default is for its first branch. */
function isValidDefault(type: AvroType, value: unknown, depth: number): boolean {
  if (depth > MAX_DEPTH) return false;
  switch (type.kind) {
    case 'primitive': return primitiveDefault(type.name, value);
    case 'union': return type.branches.length > 0 && isValidDefault(type.branches[0]!, value, depth + 1);
    case 'enum': return typeof value === 'string' && type.symbols.includes(value);
    case 'fixed': return typeof value === 'string';
    case 'array': return Array.isArray(value) && value.every((item) => isValidDefault(type.items, item, depth + 1));
    case 'map': return isObject(value) && Object.values(value).every((item) => isValidDefault(type.values, item, depth + 1));
    case 'record':
      return isObject(value) && type.fields.every((field) => (Object.prototype.hasOwnProperty.call(value, field.name)
        ? isValidDefault(field.type, value[field.name], depth + 1)
        : field.hasDefault));
  }
}

function primitiveDefault(name: Primitive, value: unknown): boolean {
  switch (name) {
    case 'null': return value === null;
    case 'boolean': return typeof value === 'boolean';
    case 'int': case 'long': return typeof value === 'number' && Number.isInteger(value);
    case 'float': case 'double': return typeof value === 'number' || value === 'NaN' || value === 'Infinity' || value === '-Infinity';
    case 'bytes': case 'string': return typeof value === 'string';
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Writer primitive → reader primitives it promotes to (Avro spec, Schema Resolution). */
const PROMOTIONS: Readonly<Record<string, readonly string[]>> = {
  int: ['long', 'float', 'double'], long: ['float', 'double'], float: ['double'], string: ['bytes'], bytes: ['string'],
};

/** Whether data written with `writer` can be read with `reader`. */
export function canRead(reader: AvroType, writer: AvroType): boolean {
  return new Resolver().canRead(reader, writer);
}

class Resolver {
  /** Pairs being resolved further up: a recursive schema meets itself and is taken as resolvable there. */
  private readonly inProgress = new Map<AvroType, Set<AvroType>>();

  canRead(reader: AvroType, writer: AvroType): boolean {
    const seen = this.inProgress.get(reader) ?? new Set<AvroType>();
    if (seen.has(writer)) return true;
    seen.add(writer);
    this.inProgress.set(reader, seen);
    try {
      return this.resolve(reader, writer);
    } finally {
      seen.delete(writer);
    }
  }

  private resolve(reader: AvroType, writer: AvroType): boolean {
    if (writer.kind === 'union') return writer.branches.every((branch) => this.canRead(reader, branch));
    if (reader.kind === 'union') {
      const branch = bestBranch(reader.branches, writer);
      return branch !== undefined && this.canRead(branch, writer);
    }
    if (reader.kind === 'primitive' && writer.kind === 'primitive') {
      return reader.name === writer.name || (PROMOTIONS[writer.name]?.includes(reader.name) ?? false);
    }
    if (reader.kind !== writer.kind) return false;
    switch (writer.kind) {
      case 'array': return this.canRead((reader as typeof writer).items, writer.items);
      case 'map': return this.canRead((reader as typeof writer).values, writer.values);
      case 'fixed': return reader.kind === 'fixed' && reader.fullName === writer.fullName && reader.size === writer.size;
      case 'enum':
        return reader.kind === 'enum' && reader.fullName === writer.fullName
          && (reader.hasDefault || writer.symbols.every((symbol) => reader.symbols.includes(symbol)));
      case 'record': return reader.kind === 'record' && this.records(reader, writer);
      default: return false;
    }
  }

  /** Each reader field comes from the writer field of the same name (or an alias), else from its default. */
  private records(reader: Extract<AvroType, { kind: 'record' }>, writer: Extract<AvroType, { kind: 'record' }>): boolean {
    for (const field of reader.fields) {
      const written = writer.fields.find((candidate) => candidate.name === field.name)
        ?? writer.fields.find((candidate) => field.aliases.includes(candidate.name));
      if (written) {
        if (!this.canRead(field.type, written.type)) return false;
      } else if (!field.hasDefault) {
        return false;
      }
    }
    return true;
  }
}

/** The reader union branch a writer type resolves to: same type (named types by name, records by any), then a promotion. */
function bestBranch(branches: readonly AvroType[], writer: AvroType): AvroType | undefined {
  const sameKind = branches.filter((branch) => branch.kind === writer.kind);
  const byName = sameKind.find((branch) => {
    if (branch.kind === 'primitive') return writer.kind === 'primitive' && branch.name === writer.name;
    if ('fullName' in branch && 'fullName' in writer) return branch.fullName === writer.fullName;
    return true;
  });
  if (byName) return byName;
  const record = sameKind.find((branch) => branch.kind === 'record');
  if (record) return record;
  if (writer.kind !== 'primitive') return undefined;
  return branches.find((branch) => branch.kind === 'primitive' && (PROMOTIONS[writer.name]?.includes(branch.name) ?? false));
}

/**
 * A definition as Jackson's pretty printer shows it (what Avro's Schema.toString(true) prints in
 * Pulsar's incompatibility messages): two-space indent, `"key" : value`, arrays on one line.
 */
export function prettyJson(text: string): string {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return text;
  }
  return pretty(value, '');
}

function pretty(value: unknown, indent: string): string {
  if (Array.isArray(value)) {
    if (value.length === 0) return '[ ]';
    return `[ ${value.map((item) => pretty(item, indent)).join(', ')} ]`;
  }
  if (isObject(value)) {
    const entries = Object.entries(value);
    if (entries.length === 0) return '{ }';
    const inner = `${indent}  `;
    return `{\n${entries.map(([key, item]) => `${inner}${JSON.stringify(key)} : ${pretty(item, inner)}`).join(',\n')}\n${indent}}`;
  }
  return JSON.stringify(value);
}
