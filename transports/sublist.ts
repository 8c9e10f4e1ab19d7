/** A token trie of subscriptions with a match cache: the in-process bus's routing table. */

/** What the trie stores: anything with an optional queue group. */
export interface Routable {
  readonly queue: string | undefined;
}

/** One queue group within a match: each message goes to one member, taken in turn. */
export interface QueueGroup<S> {
  readonly members: readonly S[];
  next: number;
}

/** Every subscription a subject reaches: plain ones all receive, each group once. */
export interface Match<S> {
  readonly plain: readonly S[];
  readonly groups: readonly QueueGroup<S>[];
}

class TrieNode<S> {
  children: Map<string, TrieNode<S>> | undefined;
  star: TrieNode<S> | undefined;
  gt: TrieNode<S> | undefined;
  subs: S[] = [];

  isEmpty(): boolean {
    return this.subs.length === 0 && this.star === undefined && this.gt === undefined &&
      (this.children === undefined || this.children.size === 0);
  }
}

const CACHE_LIMIT = 4096;
// Reply inboxes are used once each: caching them would only evict the subjects that repeat.
const UNCACHED_PREFIX = "_INBOX.";

/** Subjects must already be valid (see `assertSubject`): the trie does not check them. */
export class Sublist<S extends Routable> {
  readonly #root = new TrieNode<S>();
  readonly #cache = new Map<string, Match<S>>();
  readonly #empty: Match<S> = { plain: [], groups: [] };

  insert(subject: string, sub: S): void {
    let node = this.#root;
    for (const token of subject.split(".")) {
      if (token === "*") node = node.star ??= new TrieNode();
      else if (token === ">") node = node.gt ??= new TrieNode();
      else {
        const children = (node.children ??= new Map());
        let child = children.get(token);
        if (child === undefined) children.set(token, (child = new TrieNode()));
        node = child;
      }
    }
    node.subs.push(sub);
    this.#cache.clear();
  }

  remove(subject: string, sub: S): void {
    const tokens = subject.split(".");
    const path: TrieNode<S>[] = [this.#root];
    let node: TrieNode<S> | undefined = this.#root;
    for (const token of tokens) {
      node = token === "*" ? node.star : token === ">" ? node.gt : node.children?.get(token);
      if (node === undefined) return;
      path.push(node);
    }
    const index = node.subs.indexOf(sub);
    if (index === -1) return;
    node.subs.splice(index, 1);
    this.#cache.clear();
    // Prune empty branches so that short-lived subscriptions do not leak nodes.
    for (let i = tokens.length; i > 0 && path[i]!.isEmpty(); i--) {
      const parent = path[i - 1]!;
      const token = tokens[i - 1]!;
      if (token === "*") parent.star = undefined;
      else if (token === ">") parent.gt = undefined;
      else parent.children!.delete(token);
    }
  }

  /** Every subscription `subject` (a publish subject, without wildcards) reaches. */
  match(subject: string): Match<S> {
    const cached = this.#cache.get(subject);
    if (cached !== undefined) return cached;
    const found: S[] = [];
    collect(this.#root, subject.split("."), 0, found);
    const result = found.length === 0 ? this.#empty : group(found);
    if (!subject.startsWith(UNCACHED_PREFIX)) {
      if (this.#cache.size >= CACHE_LIMIT) this.#cache.clear();
      this.#cache.set(subject, result);
    }
    return result;
  }
}

function collect<S>(node: TrieNode<S>, tokens: readonly string[], index: number, found: S[]): void {
  if (index === tokens.length) {
    for (const sub of node.subs) found.push(sub);
    return;
  }
  // `>` needs at least one more token, which `index < tokens.length` guarantees here.
  if (node.gt !== undefined) for (const sub of node.gt.subs) found.push(sub);
  if (node.star !== undefined) collect(node.star, tokens, index + 1, found);
  const child = node.children?.get(tokens[index]!);
  if (child !== undefined) collect(child, tokens, index + 1, found);
}

// Queue groups are keyed by name across every matching pattern, as in nats-server.
function group<S extends Routable>(found: readonly S[]): Match<S> {
  const plain: S[] = [];
  let groups: Map<string, S[]> | undefined;
  for (const sub of found) {
    if (sub.queue === undefined) plain.push(sub);
    else {
      groups ??= new Map();
      const members = groups.get(sub.queue);
      if (members === undefined) groups.set(sub.queue, [sub]);
      else members.push(sub);
    }
  }
  if (groups === undefined) return { plain, groups: [] };
  // A random start keeps the load spread even when subscription churn keeps clearing the cache.
  const start = (members: S[]): QueueGroup<S> => ({ members, next: Math.floor(Math.random() * members.length) });
  return { plain, groups: Array.from(groups.values(), start) };
}
