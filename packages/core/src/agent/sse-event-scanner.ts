const LF = 0x0a;
const CR = 0x0d;
/** Enough of a line to read `event: <name>` of any event Berth cares about; longer lines are data. */
const KEPT_LINE_BYTES = 128;

/**
 * Reads the names of the events an SSE byte stream dispatches, chunk by chunk, without holding the stream:
 * only the first bytes of the current line are kept, so a line split across chunks (even a CR LF split in
 * two) is read right, and a megabyte `data:` line costs no memory. Follows the SSE rules that matter here:
 * lines end with LF, CR or CR LF; a blank line dispatches the event if it had data; the name is the last
 * `event:` field (one optional space after the colon), `message` when there is none.
 */
export class SseEventScanner {
  private line: number[] = [];
  private lineLength = 0;
  private afterCR = false;
  private eventName = '';
  private hasData = false;

  /** The names of the events completed by this chunk, in order. */
  push(chunk: Uint8Array): string[] {
    const dispatched: string[] = [];
    for (const byte of chunk) {
      if (byte === LF && this.afterCR) {
        this.afterCR = false; // the LF of a CR LF: the line already ended
        continue;
      }
      this.afterCR = byte === CR;
      if (byte === LF || byte === CR) {
        const name = this.endLine();
        if (name !== null) dispatched.push(name);
        continue;
      }
      if (this.lineLength < KEPT_LINE_BYTES) this.line.push(byte);
      this.lineLength++;
    }
    return dispatched;
  }

  /** Handles one complete line; returns the event's name when the line was the blank one dispatching it. */
  private endLine(): string | null {
    const line = Buffer.from(this.line).toString('latin1');
    const blank = this.lineLength === 0;
    this.line = [];
    this.lineLength = 0;
    if (blank) {
      const name = this.hasData ? this.eventName || 'message' : null;
      this.eventName = '';
      this.hasData = false;
      return name;
    }
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'data') this.hasData = true;
    else if (field === 'event') this.eventName = value;
    return null;
  }
}
