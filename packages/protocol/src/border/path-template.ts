/**
 * Resource path templates: which requests a border rule is about.
 *
 * A template is an absolute path of `/`-separated segments, written as in the 3GPP OpenAPI
 * documents with the API name and version in front (`/nudm-sdm/v2/{supi}/am-data`):
 * - a literal segment matches exactly that segment (case-sensitive, as URIs are);
 * - `{name}` matches exactly one non-empty segment, whatever it holds, and captures it;
 * - `**`, only as the last segment, matches any number of further segments (also none).
 * A path matches when every segment matches in order and nothing is left over; the query is never
 * part of the match. `/nudm-sdm/v2/{supi}/am-data` matches `/nudm-sdm/v2/imsi-001010000000001/am-data`
 * but not `/nudm-sdm/v2/imsi-001010000000001/am-data/x` nor `/nudm-sdm/v2//am-data`.
 */

export type TemplateSegment = { readonly literal: string } | { readonly param: string } | { readonly rest: true };

export interface PathTemplate {
  readonly text: string;
  readonly segments: readonly TemplateSegment[];
}

const PARAM = /^\{([A-Za-z_][A-Za-z0-9_-]*)\}$/;

/** Parses a template; a string saying what is wrong when it is not one. */
export function parsePathTemplate(text: string): PathTemplate | string {
  if (!text.startsWith('/')) return 'must start with /';
  if (text.includes('?') || text.includes('#')) return 'must not hold a query or fragment';
  const raw = text === '/' ? [''] : text.slice(1).split('/');
  const segments: TemplateSegment[] = [];
  for (const [index, segment] of raw.entries()) {
    if (segment === '**') {
      if (index !== raw.length - 1) return '** may only be the last segment';
      segments.push({ rest: true });
      continue;
    }
    if (segment.includes('{') || segment.includes('}')) {
      const param = PARAM.exec(segment);
      if (!param) return `segment ${index + 1} (${segment}) must be a literal or a whole {name}`;
      segments.push({ param: param[1]! });
      continue;
    }
    if (segment === '' && raw.length > 1) return 'must not hold empty segments';
    if (segment === '*') return 'a single * is not a segment wildcard: use {name} for one segment or ** at the end';
    segments.push({ literal: segment });
  }
  return { text, segments };
}

/** The captured `{name}` values (raw, still percent-encoded) when the path matches; null otherwise. */
export function matchPathTemplate(template: PathTemplate, path: string): Record<string, string> | null {
  const parts = pathSegments(path);
  return parts ? matchSegments(template, parts) : null;
}

/** The segments of an absolute path (split once, matched against many templates); null if not absolute. */
export function pathSegments(path: string): string[] | null {
  if (!path.startsWith('/')) return null;
  return path === '/' ? [''] : path.slice(1).split('/');
}

/** {@link matchPathTemplate} on a path already split by {@link pathSegments}. */
export function matchSegments(template: PathTemplate, parts: readonly string[]): Record<string, string> | null {
  const params: Record<string, string> = {};
  const { segments } = template;
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i]!;
    if ('rest' in segment) return parts.slice(i).some((part) => part === '') ? null : params;
    const part = parts[i];
    if (part === undefined) return null;
    if ('literal' in segment) {
      if (part !== segment.literal) return null;
    } else {
      if (part === '') return null;
      params[segment.param] = part;
    }
  }
  return parts.length === segments.length ? params : null;
}

/** Whether a split path matches (like {@link matchSegments}, without capturing: no allocation). */
export function segmentsMatch(template: PathTemplate, parts: readonly string[]): boolean {
  const { segments } = template;
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i]!;
    if ('rest' in segment) {
      for (let j = i; j < parts.length; j++) if (parts[j] === '') return false;
      return true;
    }
    const part = parts[i];
    if (part === undefined || part === '') return false;
    if ('literal' in segment && part !== segment.literal) return false;
  }
  return parts.length === segments.length;
}

/** The first segment of a template when it is literal (the API name): how rules are indexed. */
export function firstLiteral(template: PathTemplate): string | null {
  const first = template.segments[0];
  return first && 'literal' in first ? first.literal : null;
}

interface RouterNode<T> {
  readonly literals: Map<string, RouterNode<T>>;
  param: RouterNode<T> | null;
  /** Values of templates ending here. */
  readonly end: T[];
  /** Values of templates ending here with `**`. */
  readonly rest: T[];
}

const routerNode = <T>(): RouterNode<T> => ({ literals: new Map(), param: null, end: [], rest: [] });

/**
 * Many templates matched at once: a tree of their segments, so a path is matched in one walk of
 * its segments instead of against every template (the border's hot path). `match` gives the values
 * of every template that matches, those with literal segments before those with `{name}` at the
 * same place (the more specific first), as {@link segmentsMatch} would find them one by one.
 */
export class PathRouter<T> {
  private readonly root = routerNode<T>();

  add(template: PathTemplate, value: T): void {
    let node = this.root;
    for (const segment of template.segments) {
      if ('rest' in segment) {
        node.rest.push(value);
        return;
      }
      if ('literal' in segment) {
        let next = node.literals.get(segment.literal);
        if (!next) node.literals.set(segment.literal, (next = routerNode<T>()));
        node = next;
      } else {
        node = node.param ??= routerNode<T>();
      }
    }
    node.end.push(value);
  }

  /** The values of the templates matching a split path (pathSegments), most specific first. */
  match(parts: readonly string[]): T[] {
    const found: T[] = [];
    this.walk(this.root, parts, 0, found);
    return found;
  }

  /** The first value of {@link match}, without collecting the others. */
  first(parts: readonly string[], accept: (value: T) => boolean = () => true): T | undefined {
    return this.find(this.root, parts, 0, accept);
  }

  private walk(node: RouterNode<T>, parts: readonly string[], index: number, found: T[]): void {
    if (index === parts.length) {
      found.push(...node.end);
    } else if (parts[index] !== '') {
      const literal = node.literals.get(parts[index]!);
      if (literal) this.walk(literal, parts, index + 1, found);
      if (node.param) this.walk(node.param, parts, index + 1, found);
    }
    if (node.rest.length > 0 && restIsClean(parts, index)) found.push(...node.rest);
  }

  private find(node: RouterNode<T>, parts: readonly string[], index: number, accept: (value: T) => boolean): T | undefined {
    if (index === parts.length) {
      const hit = node.end.find(accept);
      if (hit !== undefined) return hit;
    } else if (parts[index] !== '') {
      const literal = node.literals.get(parts[index]!);
      const viaLiteral = literal ? this.find(literal, parts, index + 1, accept) : undefined;
      if (viaLiteral !== undefined) return viaLiteral;
      const viaParam = node.param ? this.find(node.param, parts, index + 1, accept) : undefined;
      if (viaParam !== undefined) return viaParam;
    }
    return node.rest.length > 0 && restIsClean(parts, index) ? node.rest.find(accept) : undefined;
  }
}

function restIsClean(parts: readonly string[], from: number): boolean {
  for (let i = from; i < parts.length; i++) if (parts[i] === '') return false;
  return true;
}
