/** Clients of one kind, one per region, created on first use and destroyed with the member session. */
export class RegionalClients<Client extends { destroy(): void }> {
  readonly #create: (region: string) => Client;
  readonly #clients = new Map<string, Client>();

  constructor(create: (region: string) => Client) {
    this.#create = create;
  }

  in(region: string): Client {
    const existing = this.#clients.get(region);
    if (existing !== undefined) return existing;
    const created = this.#create(region);
    this.#clients.set(region, created);
    return created;
  }

  destroy(): void {
    for (const client of this.#clients.values()) client.destroy();
    this.#clients.clear();
  }
}
