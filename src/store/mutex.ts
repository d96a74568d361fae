// A FIFO async mutex. The SQLite backend serialises its transactions with it: better-sqlite3 has
// one connection, and two interleaved async transactions on it would share one SQLite transaction.

export class Mutex {
  private tail: Promise<void> = Promise.resolve();

  async run<T>(fn: () => Promise<T>): Promise<T> {
    const previous = this.tail;
    let release!: () => void;
    this.tail = new Promise<void>((resolve) => {
      release = resolve;
    });
    await previous;
    try {
      return await fn();
    } finally {
      release();
    }
  }
}
