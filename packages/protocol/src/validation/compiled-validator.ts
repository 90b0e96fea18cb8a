/**
 * The validation of `validateBody`, compiled once per class from the same decorators.
 *
 * `validateBody` is class-transformer's `plainToInstance` (unknown attributes dropped, nested
 * objects turned into instances of their classes) followed by class-validator's `validateSync`.
 * Both libraries look their decorator metadata up again on every call and every nested object
 * (class-validator scans every class it knows for ancestors each time): a TS 29.573 protection
 * policy took milliseconds to validate, an N32-f `metaData` tens of microseconds. Here the
 * metadata of a class (and of the classes it nests) is read once, from the libraries' own
 * storages, into a plan; running the plan does what the libraries do, in the same order, with the
 * same constraint implementations and messages, so the outcome (instance, errors, their order and
 * texts) is the same: `compiled-validator.spec.ts` checks that against the libraries for every
 * body class on generated and mutated bodies.
 *
 * What the plan covers is what this package's decorators use (field-decorators.ts,
 * prins/messages/decorators.ts): @Expose without options, @Type(() => Class), @Transform, and
 * class-validator's conditional, is-defined, custom (every constraint class, synchronous) and
 * nested validations without groups. A class with anything else is not compiled (`null`) and
 * `validateBody` keeps using the libraries for it.
 *
 * One deliberate difference: class-transformer throws a TypeError on a free-form JSON object that
 * has its own member named `constructor` (it takes the member for the object's class); here such
 * an object is an object like any other, so the body gets its 4xx instead of an exception.
 */
import { TransformationType } from 'class-transformer';
import type { TransformMetadata } from 'class-transformer/types/interfaces';
import { defaultMetadataStorage } from 'class-transformer/cjs/storage';
import { getMetadataStorage, ValidationTypes, type ValidationArguments, type ValidationError } from 'class-validator';
import type { ValidationMetadata } from 'class-validator/types/metadata/ValidationMetadata';

type Constructor = new () => object;

/** The options validateBody gives plainToInstance (a @Transform function may pass them on). */
export const TRANSFORM_OPTIONS = { excludeExtraneousValues: true, exposeUnsetFields: false, enableImplicitConversion: false } as const;

interface ConstraintRun {
  readonly metadata: ValidationMetadata;
  /** class-validator's constraint registrations of the metadata's constraint class. */
  readonly constraints: ReadonlyArray<{ readonly name: string; readonly async: boolean; readonly instance: { validate(value: unknown, args: ValidationArguments): unknown; defaultMessage?(args: ValidationArguments): string } }>;
}

interface PropertyPlan {
  readonly name: string;
  readonly defined: readonly ConstraintRun[];
  readonly conditions: readonly ValidationMetadata[];
  readonly custom: readonly ConstraintRun[];
  readonly nested: readonly ValidationMetadata[];
}

interface TransformProperty {
  readonly key: string;
  /** @Type(() => Class): the class of an object value (and of each object in an array value). */
  readonly type?: Constructor;
  readonly transforms: readonly TransformMetadata[];
}

interface ClassPlan {
  readonly cls: Constructor;
  /** class-transformer: the exposed properties, in its order (filled in once planned). */
  keys: readonly TransformProperty[];
  /** class-validator: the validated properties, in its order. */
  properties: readonly PropertyPlan[];
}

/** A ValidationError as class-validator builds it (target, value, property, constraints, children). */
type ErrorNode = Pick<ValidationError, 'target' | 'value' | 'property' | 'children'> & { constraints: Record<string, string> };

class NotCompilable extends Error {}

const plans = new Map<object, ClassPlan | null>();
const storage = getMetadataStorage();
const SUPPORTED_TYPES = new Set<string>([ValidationTypes.CONDITIONAL_VALIDATION, ValidationTypes.IS_DEFINED, ValidationTypes.CUSTOM_VALIDATION, ValidationTypes.NESTED_VALIDATION]);

/** The validation metadata class-validator applies to instances of `cls` (what validateSync asks for). */
function validationMetadatas(cls: Constructor): ValidationMetadata[] {
  return storage.getTargetValidationMetadatas(cls, undefined as unknown as string, false, false, undefined);
}

function constraintRun(metadata: ValidationMetadata): ConstraintRun {
  const constraints = storage.getTargetValidatorConstraints(metadata.constraintCls) as unknown as ConstraintRun['constraints'];
  return { metadata, constraints };
}

function planOf(cls: Constructor): ClassPlan {
  const known = plans.get(cls);
  if (known === null) throw new NotCompilable(cls.name);
  if (known) return known;
  const plan: ClassPlan = { cls, keys: [], properties: [] };
  // Registered before the nested classes are planned: classes may nest themselves.
  plans.set(cls, plan);
  try {
    plan.keys = transformPlan(cls);
    plan.properties = validationPlan(cls);
    return plan;
  } catch (error) {
    plans.set(cls, null);
    throw error;
  }
}

function transformPlan(cls: Constructor): TransformProperty[] {
  const store = defaultMetadataStorage;
  if (store.getStrategy(cls) !== 'none' || store.getExcludedProperties(cls, TransformationType.PLAIN_TO_CLASS).length > 0) throw new NotCompilable(`${cls.name}: @Exclude or a class-level strategy`);
  const keys: TransformProperty[] = [];
  const blank = new cls() as Record<string, unknown>;
  for (const key of new Set(store.getExposedProperties(cls, TransformationType.PLAIN_TO_CLASS))) {
    const expose = store.findExposeMetadata(cls, key);
    if (expose?.options && Object.keys(expose.options).length > 0) throw new NotCompilable(`${cls.name}.${key}: @Expose with options`);
    if (key === '__proto__' || key === 'constructor') continue;
    // class-transformer never writes over a method or a getter of the class.
    const descriptor = Object.getOwnPropertyDescriptor(cls.prototype, key);
    if ((descriptor && !descriptor.set) || blank[key] instanceof Function) continue;
    const typeMetadata = store.findTypeMetadata(cls, key);
    let type: Constructor | undefined;
    if (typeMetadata) {
      if (typeMetadata.options && Object.keys(typeMetadata.options).length > 0) throw new NotCompilable(`${cls.name}.${key}: @Type with options`);
      type = typeMetadata.typeFunction({ newObject: {}, object: {}, property: key }) as Constructor;
      if ([String, Number, Boolean, Date, Buffer, Map, Set].includes(type as never)) throw new NotCompilable(`${cls.name}.${key}: @Type of a built-in`);
      const reflected = typeMetadata.reflectedType as unknown;
      // An array value is first created as `new reflectedType()` (an Array unless that is a Set).
      if (reflected === Set || reflected === Map) throw new NotCompilable(`${cls.name}.${key}: a Set or Map property`);
      planOf(type);
    }
    const transforms = store.findTransformMetadatas(cls, key, TransformationType.PLAIN_TO_CLASS);
    for (const transform of transforms) {
      if (transform.options && Object.keys(transform.options).length > 0) throw new NotCompilable(`${cls.name}.${key}: @Transform with options`);
    }
    keys.push({ key, ...(type ? { type } : {}), transforms });
  }
  return keys;
}

function validationPlan(cls: Constructor): PropertyPlan[] {
  const metadatas = validationMetadatas(cls);
  const grouped = storage.groupByPropertyName(metadatas);
  const properties: PropertyPlan[] = [];
  for (const name of Object.keys(grouped)) {
    const list = grouped[name]!;
    for (const metadata of list) {
      if (!SUPPORTED_TYPES.has(metadata.type)) throw new NotCompilable(`${cls.name}.${name}: ${metadata.type}`);
      if (metadata.groups?.length || metadata.always) throw new NotCompilable(`${cls.name}.${name}: validation groups`);
    }
    const rest = list.filter((m) => m.type !== ValidationTypes.IS_DEFINED && m.type !== ValidationTypes.WHITELIST);
    properties.push({
      name,
      defined: list.filter((m) => m.type === ValidationTypes.IS_DEFINED).map(constraintRun),
      conditions: rest.filter((m) => m.type === ValidationTypes.CONDITIONAL_VALIDATION),
      custom: rest.filter((m) => m.type === ValidationTypes.CUSTOM_VALIDATION).map(constraintRun),
      nested: rest.filter((m) => m.type === ValidationTypes.NESTED_VALIDATION),
    });
  }
  return properties;
}

// ---------------------------------------------------------------------------------------------
// plainToInstance (class-transformer's TransformOperationExecutor.transform, PLAIN_TO_CLASS, with
// TRANSFORM_OPTIONS)
// ---------------------------------------------------------------------------------------------

/** Member names an untyped object loses in plainToInstance: Object.prototype's methods, `constructor` included. */
const OBJECT_METHODS = new Set(
  Object.getOwnPropertyNames(Object.prototype).filter((key) => {
    const descriptor = Object.getOwnPropertyDescriptor(Object.prototype, key);
    return (descriptor && !descriptor.set) || ({} as Record<string, unknown>)[key] instanceof Function;
  }),
);

function transform(value: unknown, type: Constructor | undefined): unknown {
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    for (const item of value) out.push(transform(item, type));
    return out;
  }
  if (typeof value !== 'object' || value === null) return value;
  if (type) return transformTyped(value as Record<string, unknown>, planOf(type));
  // An untyped object: every own enumerable member, untyped, but `__proto__` and the names of
  // Object.prototype's methods (class-transformer never writes over a method).
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    if (key === '__proto__' || OBJECT_METHODS.has(key)) continue;
    const item = transform((value as Record<string, unknown>)[key], undefined);
    if (item !== undefined) out[key] = item;
  }
  return out;
}

function transformTyped(value: Record<string, unknown>, plan: ClassPlan): object {
  const out = new plan.cls() as Record<string, unknown>;
  for (const { key, type, transforms } of plan.keys) {
    let item = transform(value[key], type);
    for (const metadata of transforms) item = metadata.transformFn({ value: item, key, obj: value, type: TransformationType.PLAIN_TO_CLASS, options: TRANSFORM_OPTIONS });
    if (item !== undefined) out[key] = item;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// validateSync (class-validator's ValidationExecutor, with forbidUnknownValues false)
// ---------------------------------------------------------------------------------------------

function execute(object: object, errors: ErrorNode[]): void {
  const plan = plans.get(object.constructor) ?? (object.constructor === Object || object.constructor === Array ? undefined : planOf(object.constructor as Constructor));
  if (!plan) return;
  for (const property of plan.properties) {
    performValidations(object, (object as Record<string, unknown>)[property.name], property.name, property.defined, property, errors);
  }
}

function performValidations(
  object: object,
  value: unknown,
  propertyName: string,
  defined: readonly ConstraintRun[],
  property: Pick<PropertyPlan, 'conditions' | 'custom' | 'nested'>,
  errors: ErrorNode[],
): void {
  for (const condition of property.conditions) {
    if (!(condition.constraints[0] as (object: object, value: unknown) => boolean)(object, value)) return;
  }
  let error: ErrorNode | undefined;
  const node = (): ErrorNode => (error ??= { target: object, value, property: propertyName, children: [], constraints: {} });
  customValidations(object, value, defined, node);
  customValidations(object, value, property.custom, node);
  if (value !== undefined && property.nested.length > 0) nestedValidations(value, property.nested, node);
  if (error && (Object.keys(error.constraints).length > 0 || error.children!.length > 0)) errors.push(error);
}

/**
 * The arguments every constraint gets (class-validator builds a new object for each call; none of
 * its validators keeps it, so one object is refilled here: the walk calls them one at a time).
 */
const args: { -readonly [K in keyof ValidationArguments]: ValidationArguments[K] } = { targetName: '', property: '', object: {}, value: undefined, constraints: [] };

function argumentsFor(object: object, value: unknown, metadata: ValidationMetadata): ValidationArguments {
  args.targetName = object.constructor ? object.constructor.name : (undefined as unknown as string);
  args.property = metadata.propertyName;
  args.object = object;
  args.value = value;
  args.constraints = metadata.constraints;
  return args;
}

function customValidations(object: object, value: unknown, runs: readonly ConstraintRun[], node: () => ErrorNode): void {
  for (const { metadata, constraints } of runs) {
    if (metadata.validateIf && !metadata.validateIf(object, value)) continue;
    for (const constraint of constraints) {
      if (constraint.async) continue;
      let valid: boolean;
      if (!metadata.each || !(Array.isArray(value) || value instanceof Set || value instanceof Map)) {
        valid = Boolean(constraint.instance.validate(value, argumentsFor(object, value, metadata)));
      } else {
        const items: unknown[] = Array.isArray(value) ? value : [...(value as Set<unknown>).values()];
        valid = true;
        for (const item of items) if (!constraint.instance.validate(item, argumentsFor(object, value, metadata))) valid = false;
      }
      if (!valid) {
        const [type, message] = validationError(object, value, metadata, constraint);
        node().constraints[type] = message;
      }
    }
  }
}

function nestedValidations(value: unknown, metadatas: readonly ValidationMetadata[], node: () => ErrorNode): void {
  for (const metadata of metadatas) {
    if (Array.isArray(value) || value instanceof Set || value instanceof Map) {
      const items: unknown[] = value instanceof Set ? [...value] : Array.isArray(value) ? value : [...(value as Map<unknown, unknown>).values()];
      const children: ErrorNode[] = [];
      items.forEach((item, index) => performValidations(value as object, item, String(index), [], { conditions: [], custom: [], nested: metadatas }, children));
      if (children.length > 0) node().children!.push(...children);
    } else if (value instanceof Object) {
      const children: ErrorNode[] = [];
      execute(value, children);
      if (children.length > 0) node().children!.push(...children);
    } else {
      const [type, message] = validationError(metadata.target as object, value, metadata);
      node().constraints[type] = message;
    }
  }
}

function validationError(object: object, value: unknown, metadata: ValidationMetadata, constraint?: ConstraintRun['constraints'][number]): [string, string] {
  const type = constraint && constraint.name ? constraint.name : metadata.type;
  // Its own object: a message function may keep it.
  const args: ValidationArguments = { targetName: object.constructor ? object.constructor.name : (undefined as unknown as string), property: metadata.propertyName, object, value, constraints: metadata.constraints };
  let message: string | ((args: ValidationArguments) => string) = metadata.message || '';
  if (!metadata.message && constraint && constraint.instance.defaultMessage instanceof Function) message = constraint.instance.defaultMessage(args);
  return [type, replaceMessageSpecialTokens(message, args)];
}

/** class-validator's ValidationUtils.replaceMessageSpecialTokens (not exported by the package). */
function replaceMessageSpecialTokens(message: string | ((args: ValidationArguments) => string), args: ValidationArguments): string {
  let text: string | undefined = message instanceof Function ? message(args) : typeof message === 'string' ? message : undefined;
  if (text && Array.isArray(args.constraints)) {
    args.constraints.forEach((constraint: unknown, index: number) => {
      text = text!.replace(new RegExp(`\\$constraint${index + 1}`, 'g'), constraintToString(constraint));
    });
  }
  if (text && args.value !== undefined && args.value !== null && ['string', 'boolean', 'number'].includes(typeof args.value)) text = text.replace(/\$value/g, String(args.value));
  if (text) text = text.replace(/\$property/g, args.property);
  if (text) text = text.replace(/\$target/g, args.targetName);
  return text as string;
}

function constraintToString(constraint: unknown): string {
  if (Array.isArray(constraint)) return constraint.join(', ');
  if (typeof constraint === 'symbol') return `${constraint.description}`;
  return `${constraint as string}`;
}

// ---------------------------------------------------------------------------------------------

export interface CompiledValidator<T> {
  /** plainToInstance + validateSync of a JSON object: the instance and class-validator's errors. */
  (body: object): { instance: T; errors: ValidationError[] };
}

/**
 * The compiled validation of `cls`, or null when its decorators use something the plan does not
 * cover (validateBody then uses the libraries). Compiled once per class.
 */
export function compileValidator<T extends object>(cls: new () => T): CompiledValidator<T> | null {
  let plan: ClassPlan;
  try {
    plan = planOf(cls);
  } catch (error) {
    if (error instanceof NotCompilable) return null;
    throw error;
  }
  return (body: object) => {
    const instance = transformTyped(body as Record<string, unknown>, plan) as T;
    const errors: ErrorNode[] = [];
    execute(instance, errors);
    return { instance, errors: errors };
  };
}
