// Which documented path a request's path belongs to, and the methods that path serves — for 405
// answers and their Allow header. OpenAPI (and grpc-gateway) match a concrete path before a
// templated one, segment by segment: `…/connectors/create` is the Create operation's path even for
// a GET, although `…/connectors/{id}` would match it too. The router alone would send that GET to
// the Get operation with id "create"; the HTTP edge answers 405 instead, as the document says.

type Segment = { readonly literal: string } | { readonly param: string };

interface PathEntry {
  readonly template: string;
  readonly segments: readonly Segment[];
  readonly methods: Set<string>;
}

const split = (path: string): string[] => path.split("/").slice(1);

export class RouteTable {
  private readonly paths = new Map<string, PathEntry>();

  /** Records a route as the router sees it (`/api/v1/apps/:id`). */
  add(method: string, template: string): void {
    let entry = this.paths.get(template);
    if (!entry) {
      entry = {
        template,
        segments: split(template).map((part) =>
          part.startsWith(":") ? { param: part.slice(1) } : { literal: part },
        ),
        methods: new Set(),
      };
      this.paths.set(template, entry);
    }
    entry.methods.add(method);
  }

  /** The documented path a request path belongs to, or null if none (a 404). */
  resolve(path: string): { template: string; methods: readonly string[] } | null {
    const parts = split(path);
    let best: PathEntry | null = null;
    for (const entry of this.paths.values()) {
      if (entry.segments.length !== parts.length) continue;
      if (!entry.segments.every((segment, i) => matches(segment, parts[i] as string))) continue;
      if (best === null || moreSpecific(entry, best)) best = entry;
    }
    return best ? { template: best.template, methods: allowOrder(best.methods) } : null;
  }
}

function matches(segment: Segment, part: string): boolean {
  return "literal" in segment ? segment.literal === part : part !== "";
}

/** The first segment where the two differ decides: a literal beats a parameter. */
function moreSpecific(a: PathEntry, b: PathEntry): boolean {
  for (let i = 0; i < a.segments.length; i++) {
    const aLiteral = "literal" in (a.segments[i] as Segment);
    const bLiteral = "literal" in (b.segments[i] as Segment);
    if (aLiteral !== bLiteral) return aLiteral;
  }
  return false;
}

const ORDER = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"];

function allowOrder(methods: Set<string>): string[] {
  return [...methods].sort(
    (a, b) => (ORDER.indexOf(a) + 1 || 99) - (ORDER.indexOf(b) + 1 || 99) || a.localeCompare(b),
  );
}
