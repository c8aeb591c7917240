// What a portal writes on day one against the types `openapi-typescript` generates from the gateway's OpenAPI
// document (quay-gateway.ts, written next to this file by eng/check-typescript.sh). tsc must accept it as it is:
// the types are strict (a misspelt field is an error) and follow the document's enums.
import type { components, paths } from "./quay-gateway";

type CreateRegistry = components["schemas"]["CreateRegistryRequest"];
type Registry = paths["/v1/registries/{id}"]["get"]["responses"][200]["content"]["application/json"];
type TimelinePage = components["schemas"]["TimelinePage"];
type Problem = components["schemas"]["ProblemDetails"];
type State = components["schemas"]["RegistryState"];

/** A problem (RFC 9457) as an Error whose `type` a portal switches on. */
export class GatewayProblem extends Error {
  constructor(readonly problem: Problem) {
    super(`${problem.status} ${problem.type}: ${problem.detail ?? problem.title}`);
  }
}

async function call<T>(gateway: string, key: string, path: string, init: RequestInit = {}): Promise<T> {
  const headers = new Headers(init.headers);
  headers.set("X-Api-Key", key);
  if (init.body !== undefined) headers.set("Content-Type", "application/json");
  const response = await fetch(gateway + path, { ...init, headers });
  if (!response.ok) throw new GatewayProblem((await response.json()) as Problem);
  return (await response.json()) as T;
}

export const request: CreateRegistry = {
  name: "portal-demo",
  namespace: "quay-enterprise",
  components: [{ kind: "clair", managed: false }],
  configBundle: { "config.yaml": "FEATURE_USER_INITIALIZE: true\nSUPER_USERS: [quayadmin]\n" },
  organizations: [{ name: "testorg", email: "testorg@example.com" }],
  labels: { team: "payments" },
};

// @ts-expect-error: a misspelt field is refused by the types, as the gateway refuses it (validation-failed).
export const typo: CreateRegistry = { name: "portal-demo", namespace: "quay-enterprise", componets: [] };

const settled: readonly State[] = ["Ready", "Failed", "Blocked", "Degraded"];

/** Creates a registry (idempotently) and follows it until it settles. */
export async function createAndFollow(gateway: string, key: string, ticket: string): Promise<Registry> {
  let registry = await call<Registry>(gateway, key, "/v1/registries", {
    method: "POST",
    headers: { "Idempotency-Key": ticket },
    body: JSON.stringify(request),
  });
  while (!settled.includes(registry.state)) {
    await new Promise((resolve) => setTimeout(resolve, 2000));
    registry = await call<Registry>(gateway, key, `/v1/registries/${registry.id}`);
  }
  return registry;
}

/** Reads a registry's whole timeline, page by page, until nextCursor is null. */
export async function timeline(gateway: string, key: string, id: string): Promise<TimelinePage["items"]> {
  const items: TimelinePage["items"] = [];
  let cursor: string | null | undefined = undefined;
  do {
    const query: string = cursor ? `?cursor=${encodeURIComponent(cursor)}` : "";
    const page: TimelinePage = await call<TimelinePage>(gateway, key, `/v1/registries/${id}/events${query}`);
    items.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return items;
}

/** Follows the tenant's fleet live (Server-Sent Events; the browser resumes with Last-Event-ID by itself). */
export function follow(onEntry: (entry: TimelinePage["items"][number]) => void): EventSource {
  const feed = new EventSource("/v1/events", { withCredentials: true });
  feed.addEventListener("StateChanged", (e) => onEntry(JSON.parse((e as MessageEvent<string>).data)));
  return feed;
}

// Closed sets are enums in the document, so the types refuse what the gateway would never send or accept.
type EntryType = components["schemas"]["TimelineEntryType"];
type CredentialKind = components["schemas"]["QuayCredentialsView"]["kind"];
type FleetStatus = components["schemas"]["FleetStatusResponse"];

/** The SSE event names a portal listens for are the timeline types. */
export const followed: readonly EntryType[] = ["StateChanged", "ConditionChanged", "QuayUserInitialized"];
// @ts-expect-error: not a timeline type (the gateway answers ?type=NoSuchType with validation-failed).
export const noSuchType: EntryType = "NoSuchType";
export const minted: CredentialKind = "minted";
// @ts-expect-error: not a credential kind.
export const password: CredentialKind = "password";

/** byState and byHealth have a property per state and health, each always present. */
export const needsAttention = (status: FleetStatus): number =>
  status.byState.Blocked + status.byState.Failed + status.byHealth.Degraded + status.byHealth.Missing;
