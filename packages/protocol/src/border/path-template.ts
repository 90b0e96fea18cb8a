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

/** The first segment of a template when it is literal (the API name): how rules are indexed. */
export function firstLiteral(template: PathTemplate): string | null {
  const first = template.segments[0];
  return first && 'literal' in first ? first.literal : null;
}
